/** A module whose `application` is not a service, for app_test.ts. */
export const application = { name: "not a service" };
