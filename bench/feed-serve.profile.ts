// A CPU profile of the Worker isolate (the Worker and its UserFeed objects share it under
// `wrangler dev`) taken through workerd's inspector with the Chrome DevTools Protocol, and a
// summary of it: self time per function, and inclusive time of the serve path's named steps.
// What the profile does not see is the rest of workerd's CPU (miniflare's own Cache API, R2 and
// routing workers, and the network stack): the bench's /proc total minus the profile's JS time.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Reply {
  id: number;
  result?: { profile?: CpuProfile };
  error?: { message: string };
}

/** Node's WebSocket (undici's) takes request headers; the DOM typing of the global does not. */
type NodeWebSocket = new (url: string, init: { headers: Record<string, string> }) => WebSocket;

/** One DevTools Protocol session over the inspector's WebSocket. */
async function connect(inspectorUrl: URL): Promise<{
  send(method: string, params?: object): Promise<Reply["result"]>;
  close(): void;
}> {
  const list = (await (await fetch(new URL("/json", inspectorUrl))).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const target = list[0];
  if (!target) throw new Error(`no inspector target at ${inspectorUrl}`);
  // wrangler's inspector proxy refuses a connection without a local Origin (DNS rebinding guard).
  const socket = new (WebSocket as unknown as NodeWebSocket)(target.webSocketDebuggerUrl, {
    headers: { origin: "http://localhost" },
  });
  await new Promise<void>((ready, fail) => {
    socket.addEventListener("open", () => ready(), { once: true });
    socket.addEventListener("error", () => fail(new Error("inspector socket failed")), {
      once: true,
    });
  });
  let next = 1;
  const pending = new Map<number, (reply: Reply) => void>();
  socket.addEventListener("message", (event) => {
    const reply = JSON.parse(String(event.data)) as Partial<Reply>;
    if (typeof reply.id === "number") pending.get(reply.id)?.(reply as Reply);
  });
  return {
    send(method, params = {}) {
      const id = next++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((done, fail) => {
        pending.set(id, (reply) => {
          pending.delete(id);
          if (reply.error) fail(new Error(`${method}: ${reply.error.message}`));
          else done(reply.result);
        });
      });
    },
    close: () => socket.close(),
  };
}

/** Runs `work` with the isolate's sampling profiler on; returns both results. */
export async function profileDuring<T>(
  inspectorUrl: URL,
  work: () => Promise<T>,
  samplingIntervalUs = 100,
): Promise<{ result: T; profile: CpuProfile }> {
  const session = await connect(inspectorUrl);
  try {
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
    await session.send("Profiler.start");
    const result = await work();
    const stopped = await session.send("Profiler.stop");
    if (!stopped?.profile) throw new Error("Profiler.stop returned no profile");
    return { result, profile: stopped.profile };
  } finally {
    session.close();
  }
}

export interface ProfileSummary {
  /** JS-thread milliseconds per request: everything but idle. */
  busy_ms_per_request: number;
  /** Of which the garbage collector and the engine's own work (compilation, native glue). */
  gc_ms_per_request: number;
  program_ms_per_request: number;
  /** Functions by self time, milliseconds per request. */
  top_self: { name: string; ms_per_request: number }[];
  /** Named steps by inclusive time (every sample with the step on the stack). */
  steps: Record<string, number>;
}

/**
 * `steps` maps a label to a predicate on a stack frame: a sample counts for the label when any
 * frame on its stack matches, so nested steps overlap and the labels do not sum to the total.
 */
export function summarizeProfile(
  profile: CpuProfile,
  requests: number,
  steps: Record<string, (frame: CallFrame) => boolean>,
  top = 25,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<string, number>();
  const stepUs = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    // A sample's delta is the time since the previous sample, spent in the previous node.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === "(idle)") return;
    busy += us;
    const name = label(node.callFrame);
    selfUs.set(name, (selfUs.get(name) ?? 0) + us);
    const matched = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      for (const [step, matches] of Object.entries(steps)) {
        if (!matched.has(step) && matches(frame)) matched.add(step);
      }
    }
    for (const step of matched) stepUs.set(step, (stepUs.get(step) ?? 0) + us);
  });
  const perRequest = (us: number) => Math.round((us / 1000 / requests) * 1000) / 1000;
  return {
    busy_ms_per_request: perRequest(busy),
    gc_ms_per_request: perRequest(selfUs.get("(garbage collector)") ?? 0),
    program_ms_per_request: perRequest(selfUs.get("(program)") ?? 0),
    top_self: [...selfUs]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms_per_request: perRequest(us) })),
    steps: Object.fromEntries(
      Object.keys(steps).map((step) => [step, perRequest(stepUs.get(step) ?? 0)]),
    ),
  };
}

function label(frame: CallFrame): string {
  const file = frame.url.split("/").at(-1) ?? "";
  const name = frame.functionName || "(anonymous)";
  return file ? `${name} ${file}:${frame.lineNumber + 1}` : name;
}
