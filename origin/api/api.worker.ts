import { loadConfig } from "../config/config";
import { startOrigin } from "./origin.server";

// One worker of the api role (forked by api.cluster.ts): the whole origin API on the port all
// workers share. SIGTERM or SIGINT, from the primary or an operator, closes the server, lets
// in-flight requests finish and exits; the primary replaces a worker it did not ask to stop.
const origin = await startOrigin(loadConfig());

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  origin.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`api: worker ${process.pid} did not stop cleanly`, error);
      process.exit(1);
    },
  );
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
