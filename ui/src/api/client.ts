// The one place that talks HTTP. Every call goes to the same origin (`/api/...`);
// in development Vite forwards it to a running `torro serve`.

/** An API error in Torro's JSON shape `{code, message, error_id}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errorId: string | null;

  constructor(status: number, code: string, message: string, errorId: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.errorId = errorId;
  }
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
  try {
    response = await fetch(path, {
      method,
      signal,
      headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
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
    throw new ApiError(
      response.status,
      e.code ?? "http_error",
      e.message ?? `The server answered ${response.status} ${response.statusText}`.trim(),
      e.error_id ?? null,
    );
  }
  return json as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal);
export const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body);
export const put = <T>(path: string, body?: unknown) => request<T>("PUT", path, body);
export const patch = <T>(path: string, body?: unknown) => request<T>("PATCH", path, body);
export const del = <T>(path: string) => request<T>("DELETE", path);
