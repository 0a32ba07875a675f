// Users (admins only): list, create with a role and an initial password, change a role,
// disable and enable; everybody's API tokens, with Revoke.
// Uses GET/POST /api/users, PATCH /api/users/{id}, GET /api/tokens?all=true, DELETE /api/tokens/{id}.

import { useState, type FormEvent } from "react";
import {
  Alert,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  MenuItem,
  Paper,
  Select,
  Snackbar,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TextField,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";
import AddIcon from "@mui/icons-material/PersonAddAltOutlined";

import { errorText } from "../api/client";
import { useCreateUser, useMe, usePatchUser, useTokens, useUsers } from "../api/auth";
import { ROLES, type Role, type User } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/QueryState";
import { TokenTable } from "../components/TokenTable";
import { MIN_PASSWORD } from "../components/ChangePasswordDialog";
import { formatAgo, formatDate } from "../lib/format";
import { WIDE_ONLY } from "../lib/responsive";

export const ROLE_HELP: Record<Role, string> = {
  viewer: "reads the catalog",
  engineer: "also edits metadata, runs connections and scans, writes lineage",
  steward: "also reviews (approve, reject, publish, archive) and reads the audit log",
  admin: "everything, including users",
};

export function Users() {
  const users = useUsers();
  const me = useMe();
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const newButton = (
    <Button variant="contained" startIcon={<AddIcon />} onClick={() => setCreating(true)}>
      New user
    </Button>
  );
  return (
    <>
      <PageHeader title="Users" subtitle="Who may sign in, and with which role" actions={newButton} />
      {users.isPending && <Loading label="Loading users…" />}
      {users.isError && <ErrorState error={users.error} onRetry={() => void users.refetch()} />}
      {users.data && users.data.users.length === 0 && <Empty title="No users yet" action={newButton} />}
      {users.data && users.data.users.length > 0 && (
        <UserTable users={users.data.users} myId={me.data?.user.id ?? null} onNotice={setNotice} />
      )}
      <Typography variant="h2" sx={{ mt: 4, mb: 1.5 }}>
        API tokens of all users
      </Typography>
      <AllTokens />
      <NewUserDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(u) => setNotice(`User ${u.username} created as ${u.role}`)}
      />
      <Snackbar open={notice !== null} autoHideDuration={4000} onClose={() => setNotice(null)} message={notice} />
    </>
  );
}

function UserTable({ users, myId, onNotice }: { users: User[]; myId: number | null; onNotice: (text: string) => void }) {
  const update = usePatchUser();
  const [failure, setFailure] = useState<string | null>(null);
  const change = (u: User, body: { role?: Role; disabled?: boolean }, done: string) => {
    setFailure(null);
    update.mutate(
      { id: u.id, body },
      { onSuccess: () => onNotice(done), onError: (e) => setFailure(`${u.username}: ${errorText(e)}`) },
    );
  };
  return (
    <>
      {failure && (
        <Alert severity="error" role="alert" sx={{ mb: 1.5 }} onClose={() => setFailure(null)}>
          {failure}
        </Alert>
      )}
      <Paper>
        <TableContainer>
          <Table size="small" aria-label="Users">
            <TableHead>
              <TableRow>
                <TableCell>User</TableCell>
                <TableCell>Role</TableCell>
                <TableCell sx={WIDE_ONLY}>Sign-in</TableCell>
                <TableCell sx={WIDE_ONLY}>Last sign-in</TableCell>
                <TableCell sx={WIDE_ONLY}>Created</TableCell>
                <TableCell>Status</TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {users.map((u) => {
                const self = u.id === myId;
                return (
                  <TableRow key={u.id} hover sx={u.disabled ? { "& td": { color: "text.secondary" } } : undefined}>
                    <TableCell sx={{ overflowWrap: "anywhere", whiteSpace: "normal", minWidth: 120 }}>
                      <Typography variant="body2" sx={{ fontWeight: 500 }}>
                        {u.display_name || u.username}
                        {self && (
                          <Typography component="span" variant="caption" color="text.secondary">
                            {" "}
                            (you)
                          </Typography>
                        )}
                      </Typography>
                      {/* The username under the display name; alone, it is already the title. */}
                      <Typography variant="caption" color="text.secondary">
                        {[u.display_name ? u.username : null, u.email].filter(Boolean).join(" · ")}
                      </Typography>
                    </TableCell>
                    <TableCell>
                      <Select
                        size="small"
                        value={u.role}
                        // Demoting yourself could lock every admin out; another admin can do it.
                        disabled={self || update.isPending}
                        onChange={(e) => change(u, { role: e.target.value as Role }, `${u.username} is now ${e.target.value}`)}
                        inputProps={{ "aria-label": `Role of ${u.username}` }}
                        sx={{ minWidth: { xs: 100, sm: 120 } }}
                      >
                        {ROLES.map((r) => (
                          <MenuItem key={r} value={r}>
                            {r}
                          </MenuItem>
                        ))}
                      </Select>
                    </TableCell>
                    <TableCell sx={WIDE_ONLY}>{u.auth_source === "oidc" ? "OIDC" : "password"}</TableCell>
                    <TableCell sx={WIDE_ONLY} title={formatDate(u.last_login_at)}>
                      {u.last_login_at ? formatAgo(u.last_login_at) : "never"}
                    </TableCell>
                    <TableCell sx={WIDE_ONLY} title={formatDate(u.created_at)}>
                      {formatAgo(u.created_at)}
                    </TableCell>
                    <TableCell>
                      <Chip size="small" variant="outlined" color={u.disabled ? "default" : "success"} label={u.disabled ? "disabled" : "active"} />
                    </TableCell>
                    <TableCell align="right">
                      {!self && (
                        <Button
                          size="small"
                          color={u.disabled ? "primary" : "error"}
                          disabled={update.isPending}
                          onClick={() => change(u, { disabled: !u.disabled }, `${u.username} ${u.disabled ? "enabled" : "disabled"}`)}
                          aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.username}`}
                        >
                          {u.disabled ? "Enable" : "Disable"}
                        </Button>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </TableContainer>
      </Paper>
    </>
  );
}

function AllTokens() {
  const tokens = useTokens(true);
  if (tokens.isPending) return <Loading label="Loading tokens…" rows={2} />;
  if (tokens.isError) return <ErrorState error={tokens.error} onRetry={() => void tokens.refetch()} />;
  if (tokens.data.tokens.length === 0) return <Empty title="Nobody has an API token">Users create their own under API tokens in their menu.</Empty>;
  return <TokenTable tokens={tokens.data.tokens} showOwner label="API tokens of all users" />;
}

function NewUserDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (u: User) => void }) {
  return open ? <NewUserForm onClose={onClose} onCreated={onCreated} /> : null;
}

// The server's rule: no spaces or control characters (it checks the rest).
const USERNAME = /^[^\s\p{Cc}]+$/u;

function NewUserForm({ onClose, onCreated }: { onClose: () => void; onCreated: (u: User) => void }) {
  const theme = useTheme();
  const fullScreen = useMediaQuery(theme.breakpoints.down("sm"));
  const [form, setForm] = useState({ username: "", display_name: "", email: "", role: "viewer" as Role, password: "" });
  const [touched, setTouched] = useState(false);
  const create = useCreateUser();
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  const usernameError = form.username.trim() === "" ? "Enter a username" : !USERNAME.test(form.username.trim()) ? "No spaces" : null;
  const passwordError = form.password.length < MIN_PASSWORD ? `At least ${MIN_PASSWORD} characters` : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (usernameError || passwordError) return;
    create.mutate(
      {
        username: form.username.trim(),
        password: form.password,
        role: form.role,
        display_name: form.display_name.trim() || undefined,
        email: form.email.trim() || undefined,
      },
      {
        onSuccess: (u) => {
          onCreated(u);
          onClose();
        },
      },
    );
  }

  return (
    <Dialog open onClose={create.isPending ? undefined : onClose} fullScreen={fullScreen} fullWidth maxWidth="sm" aria-labelledby="user-title">
      <form onSubmit={submit} noValidate style={{ display: "contents" }}>
        <DialogTitle id="user-title">New user</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            {create.isError && (
              <Alert severity="error" role="alert">
                {errorText(create.error)}
              </Alert>
            )}
            <TextField
              label="Username"
              value={form.username}
              onChange={set("username")}
              required
              autoFocus
              autoComplete="off"
              error={touched && usernameError !== null}
              helperText={(touched && usernameError) || "What they type to sign in"}
            />
            <TextField label="Display name" value={form.display_name} onChange={set("display_name")} autoComplete="off" />
            <TextField label="Email" type="email" value={form.email} onChange={set("email")} autoComplete="off" />
            <TextField select label="Role" value={form.role} onChange={set("role")} helperText={ROLE_HELP[form.role]}>
              {ROLES.map((r) => (
                <MenuItem key={r} value={r}>
                  {r}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              label="Initial password"
              type="password"
              value={form.password}
              onChange={set("password")}
              required
              autoComplete="new-password"
              error={touched && passwordError !== null}
              helperText={(touched && passwordError) || "Tell it to them privately; they can change it in their menu"}
            />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={create.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create user"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
