// Unit tests stop at the HTTP boundary: `fetch` answers from a table of routes. The
// end-to-end tests (e2e/) run the same code against the real `torro serve`.

import { vi } from "vitest";

import type { Me, Permission, Role } from "../api/types";

export interface Call {
  method: string;
  url: string;
  body: unknown;
  headers: Record<string, string>;
  credentials: RequestCredentials | undefined;
}

type Handler = (call: Call) => { status?: number; body?: unknown; headers?: Record<string, string> };

const PERMISSIONS: Record<Role, Permission[]> = {
  viewer: ["read"],
  engineer: ["read", "edit_metadata", "operate", "write_lineage"],
  steward: ["read", "review", "edit_metadata", "write_lineage", "read_audit"],
  admin: ["read", "review", "edit_metadata", "operate", "write_lineage", "read_audit", "manage_users"],
};

/** `GET /api/auth/me` for a signed-in user with this role (the server's permission table). */
export function meAs(role: Role, username = role === "admin" ? "admin" : `${role}1`): Me {
  return {
    user: {
      id: role === "admin" ? 1 : 2,
      username,
      display_name: null,
      email: null,
      role,
      auth_source: "local",
      disabled: false,
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      last_login_at: null,
    },
    auth: "session",
    csrf_token: "csrf-1",
    permissions: PERMISSIONS[role],
  };
}

/**
 * Replaces `fetch`; returns the calls made. Unknown routes answer a JSON 404, except
 * `GET /api/auth/me`, which answers an admin unless the table says otherwise.
 */
export function stubFetch(routes: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  const table: Record<string, Handler> = { "GET /api/auth/me": () => ({ body: meAs("admin") }), ...routes };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      const call: Call = {
        method: init?.method ?? "GET",
        url,
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
        headers: { ...((init?.headers as Record<string, string> | undefined) ?? {}) },
        credentials: init?.credentials,
      };
      // The session check is plumbing; tests assert on the calls they care about.
      if (url !== "/api/auth/me") calls.push(call);
      const path = url.split("?")[0] ?? url;
      const handler = table[`${call.method} ${path}`];
      const answer = handler ? handler(call) : { status: 404, body: { code: "not_found", message: `no route for ${call.method} ${path}`, error_id: "x" } };
      const status = answer.status ?? 200;
      return new Response(answer.body === undefined || status === 204 ? null : JSON.stringify(answer.body), {
        status,
        headers: { "content-type": "application/json", ...answer.headers },
      });
    }),
  );
  return calls;
}
