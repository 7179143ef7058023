// The cloud services this provider calls itself, with their budgets (Provider.services). The CLI's own
// calls to the state backend and the programs' calls to their clouds are not counted: they happen in
// other processes, bounded by the runtime's limit on operations at once (runtime.ts).
import type { BudgetLimits } from "../../controller/provider.ts";

export const S3_SERVICE = "s3";
/** Far below S3's own limits (thousands of requests per second per prefix); lock files are read rarely. */
export const S3_BUDGET: BudgetLimits = { burst: 20, ratePerSecond: 10 };
