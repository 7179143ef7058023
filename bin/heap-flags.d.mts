export function cgroupMemoryLimit(read?: (path: string) => string): number | undefined;
export function oldSpaceMbFor(limitBytes: number): number;
export function heapFlags(limitBytes: number | undefined): string[];
export function missingFlags(wanted: string[], execArgv: string[], nodeOptions?: string): string[];
export function reexecWithHeapFlags(env?: NodeJS.ProcessEnv): void;
export const HEAP_ENV: Record<string, string>;
