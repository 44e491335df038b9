/** An application module (the .tac equivalent) for app_test.ts. */
import { Application, Service } from "../../src/application/mod.ts";

/** The root. */
export const application: Application = new Application("fixture");
const child = new Service();
child.setName("child");
child.setServiceParent(application);
