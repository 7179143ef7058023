// The provider conformance suite (test/support/conformance.ts) for every provider module, against
// the real kube-apiserver and the real moto, through the fault-injecting proxy. A new kind joins with
// one line here and a conformance.test-fixture.ts in its provider folder.
import { securityGroupConformance } from "../../providers/aws/ec2/conformance.test-fixture.ts";
import { loadBalancerConformance } from "../../providers/aws/elbv2/conformance.test-fixture.ts";
import { sqlInstanceConformance } from "../../providers/aws/rds/conformance.test-fixture.ts";
import { dbSubnetGroupConformance } from "../../providers/aws/rds/subnet-group/conformance.test-fixture.ts";
import { describeConformance } from "../support/conformance.ts";

describeConformance(sqlInstanceConformance);
describeConformance(loadBalancerConformance);
describeConformance(securityGroupConformance);
describeConformance(dbSubnetGroupConformance);
