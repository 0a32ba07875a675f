// Unit tests stop at the HTTP boundary: `fetch` answers from a table of routes. The
// end-to-end tests (e2e/) run the same code against the real `torro serve`.

import { vi } from "vitest";

export interface Call {
  method: string;
  url: string;
  body: unknown;
}

type Handler = (call: Call) => { status?: number; body?: unknown };

/** Replaces `fetch`; returns the calls made. Unknown routes answer a JSON 404. */
export function stubFetch(routes: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      const call: Call = { method: init?.method ?? "GET", url, body: init?.body ? JSON.parse(String(init.body)) : undefined };
      calls.push(call);
      const path = url.split("?")[0] ?? url;
      const handler = routes[`${call.method} ${path}`];
      const answer = handler ? handler(call) : { status: 404, body: { code: "not_found", message: `no route for ${call.method} ${path}`, error_id: "x" } };
      const status = answer.status ?? 200;
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
        status,
        headers: { "content-type": "application/json" },
      });
    }),
  );
  return calls;
}
