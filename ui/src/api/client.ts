// The one place that talks HTTP. Every call goes to the same origin (`/api/...`);
// in development Vite forwards it to a running `torro serve`.
//
// Sessions: the browser keeps the HttpOnly session cookie; this module keeps the CSRF
// token the server hands out with it (login, `GET /api/auth/me`) and sends it on every
// request that changes something. A 401 outside the sign-in calls means the session is
// gone: the user is sent to `/login?return_to=<where they were>`.

/** An API error in Torro's JSON shape `{code, message, error_id}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errorId: string | null;
  /** Seconds from a 429's `Retry-After`, when the server sent one. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, errorId: string | null = null, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.errorId = errorId;
    this.retryAfter = retryAfter;
  }
}

let csrfToken: string | null = null;

/** The CSRF token of the current session (from login or `/api/auth/me`); null signs out. */
export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

/** `/login?return_to=…`, keeping only same-site paths (never `//other.host`). */
export function loginPath(returnTo: string): string {
  return returnTo && safeReturnTo(returnTo) !== "/" ? `/login?return_to=${encodeURIComponent(returnTo)}` : "/login";
}

/** A return path that stays on this site; anything else becomes `/`. */
export function safeReturnTo(value: string | null | undefined): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\") || value.startsWith("/login")) return "/";
  return value;
}

// Calls whose 401 is an answer, not a lost session: signing in, asking who is signed in,
// and a wrong current password.
const QUIET_401 = ["/api/auth/login", "/api/auth/me", "/api/auth/password"];

type UnauthorizedHandler = (returnTo: string) => void;

const defaultUnauthorized: UnauthorizedHandler = (returnTo) => window.location.assign(loginPath(returnTo));
let onUnauthorized: UnauthorizedHandler = defaultUnauthorized;

/** Who handles a lost session (the app navigates inside the router); null restores the default. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler | null) {
  onUnauthorized = handler ?? defaultUnauthorized;
}

function handleUnauthorized(path: string) {
  if (QUIET_401.some((p) => path === p || path.startsWith(`${p}?`))) return;
  const here = `${window.location.pathname}${window.location.search}${window.location.hash}`;
  if (window.location.pathname === "/login") return;
  csrfToken = null;
  onUnauthorized(here);
}

function retryAfterSeconds(response: Response): number | null {
  const value = response.headers.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Text for people: the API's message, plus the error id support needs for a 5xx. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    return error.errorId && error.status >= 500 ? `${error.message} (error id ${error.errorId})` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export type QueryValue = string | number | boolean | null | undefined;

/** `path?k=v&...`, leaving out empty values. */
export function withQuery(path: string, params: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  // Only changes need the CSRF token; reads stay plain so they can be cached and shared.
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["x-csrf-token"] = csrfToken;
  try {
    response = await fetch(path, {
      method,
      signal,
      credentials: "same-origin",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "network", "Cannot reach the Torro server. Is `torro serve` running?");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!response.ok) {
    const e = (json ?? {}) as { code?: string; message?: string; error_id?: string };
    if (response.status === 401) handleUnauthorized(path);
    throw new ApiError(
      response.status,
      e.code ?? "http_error",
      e.message ?? `The server answered ${response.status} ${response.statusText}`.trim(),
      e.error_id ?? null,
      response.status === 429 ? retryAfterSeconds(response) : null,
    );
  }
  return json as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal);
export const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body);
export const put = <T>(path: string, body?: unknown) => request<T>("PUT", path, body);
export const patch = <T>(path: string, body?: unknown) => request<T>("PATCH", path, body);
export const del = <T>(path: string) => request<T>("DELETE", path);
