// Imported from the host as module "host": the caller's label predicate for filtered search.
export declare function allowLabel(label: u32): bool;
