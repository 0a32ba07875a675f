// Who is signed in, what they may do, and the calls of the auth, users, tokens and audit
// APIs. `useMe` is the source of truth: it keeps the CSRF token in the fetch wrapper and
// answers null (not an error) when nobody is signed in.

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { ApiError, del, get, patch, post, setCsrfToken, withQuery, type QueryValue } from "./client";
import type {
  ApiToken,
  AuditSearch,
  AuthConfig,
  CreatedToken,
  LoginResponse,
  Me,
  NewUserRequest,
  Permission,
  TokenList,
  User,
  UserList,
  UserPatchRequest,
} from "./types";

export const authKeys = {
  me: ["auth", "me"] as const,
  config: ["auth", "config"] as const,
  users: ["users"] as const,
  tokens: ["tokens"] as const,
  tokenList: (all: boolean) => ["tokens", all] as const,
  audit: ["audit-search"] as const,
  auditList: (p: AuditParams) => ["audit-search", p] as const,
};

/** `GET /api/auth/me`; null when nobody is signed in (401). */
export async function fetchMe(signal?: AbortSignal): Promise<Me | null> {
  try {
    const me = await get<Me>("/api/auth/me", signal);
    setCsrfToken(me.csrf_token);
    return me;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw e;
  }
}

export function useMe() {
  return useQuery({ queryKey: authKeys.me, queryFn: ({ signal }) => fetchMe(signal), staleTime: 60_000 });
}

/** Whether the signed-in user has this permission (false while unknown). */
export function useCan(permission: Permission): boolean {
  const me = useMe();
  return me.data?.permissions.includes(permission) ?? false;
}

export function useAuthConfig() {
  return useQuery({
    queryKey: authKeys.config,
    queryFn: ({ signal }) => get<AuthConfig>("/api/auth/config", signal),
    staleTime: 5 * 60_000,
  });
}

/** Signs in, then reloads `me` (its permissions come only from there). */
export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: { username: string; password: string }) => {
      const answer = await post<LoginResponse>("/api/auth/login", body);
      setCsrfToken(answer.csrf_token);
      // Whatever was cached belonged to the previous user (or to nobody).
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== "auth" });
      // staleTime 0: the cached "nobody" from before signing in must not answer.
      await client.fetchQuery({ queryKey: authKeys.me, queryFn: ({ signal }) => fetchMe(signal), staleTime: 0 });
      return answer;
    },
  });
}

/** Signs out; forgets every cached answer and the CSRF token. */
export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      try {
        await post<void>("/api/auth/logout");
      } catch (e) {
        // A session that already expired is signed out all the same.
        if (!(e instanceof ApiError && e.status === 401)) throw e;
      }
    },
    // A `me` request still in flight from before the sign-out would answer with the old
    // user and send the login page straight back into the app: cancel it first.
    onMutate: () => client.cancelQueries({ queryKey: authKeys.me }),
    onSuccess: async () => {
      setCsrfToken(null);
      await client.cancelQueries({ queryKey: authKeys.me });
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== "auth" });
      client.setQueryData(authKeys.me, null);
    },
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) => post<void>("/api/auth/password", body),
  });
}

// ---- users (admin) ------------------------------------------------------------------

export function useUsers() {
  return useQuery({ queryKey: authKeys.users, queryFn: ({ signal }) => get<UserList>("/api/users", signal) });
}

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewUserRequest) => post<User>("/api/users", body),
    onSuccess: () => void client.invalidateQueries({ queryKey: authKeys.users }),
  });
}

export function usePatchUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: UserPatchRequest }) => patch<User>(`/api/users/${id}`, body),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: authKeys.users });
      // Changing one's own role changes what the UI offers.
      void client.invalidateQueries({ queryKey: authKeys.me });
    },
  });
}

// ---- API tokens ---------------------------------------------------------------------

/** Own tokens; `all` (admins) lists everybody's. */
export function useTokens(all = false) {
  return useQuery({
    queryKey: authKeys.tokenList(all),
    queryFn: ({ signal }) => get<TokenList>(withQuery("/api/tokens", { all: all || undefined }), signal),
  });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; expires_in_days?: number }) => post<CreatedToken>("/api/tokens", body),
    onSuccess: () => void client.invalidateQueries({ queryKey: authKeys.tokens }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => del<ApiToken>(`/api/tokens/${id}`),
    onSuccess: () => void client.invalidateQueries({ queryKey: authKeys.tokens }),
  });
}

// ---- audit search (steward, admin) --------------------------------------------------

/** Filters of `GET /api/audit`; the same ones build the CSV link. */
export interface AuditParams {
  actor?: string;
  entity_type?: string;
  entity_id?: string;
  action?: string;
  /** ISO date-time or date. */
  since?: string;
  until?: string;
  page?: number;
  size?: number;
}

export function auditCsvUrl(params: AuditParams): string {
  const { page: _page, size: _size, ...filters } = params;
  return withQuery("/api/audit", { format: "csv", ...(filters as Record<string, QueryValue>) });
}

export function useAuditSearch(params: AuditParams) {
  return useQuery({
    queryKey: authKeys.auditList(params),
    queryFn: ({ signal }) => get<AuditSearch>(withQuery("/api/audit", params as Record<string, QueryValue>), signal),
    placeholderData: keepPreviousData,
  });
}
