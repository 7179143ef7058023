// Types for node-version.mjs, which stays plain JavaScript so that any Node can run it.
export declare const MIN_NODE: string;
export declare function isAtLeast(version: string, minimum?: string): boolean;
export declare function requireNode(what: string, hint: string): void;
export declare const CHECKOUT_HINT: string;
