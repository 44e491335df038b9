/** A module that exports no application, for app_test.ts. */
export const nothing = 1;
