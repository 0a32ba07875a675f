// The signed-in user in the app bar: name and role chip, and a menu with API tokens,
// Change password and Sign out. On a phone only the icon shows; the menu names the user.

import { useState } from "react";
import { useNavigate } from "react-router";
import {
  Box,
  Button,
  Chip,
  Divider,
  IconButton,
  ListItemIcon,
  Menu,
  MenuItem,
  Snackbar,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";
import AccountIcon from "@mui/icons-material/AccountCircleOutlined";
import KeyIcon from "@mui/icons-material/KeyOutlined";
import PasswordIcon from "@mui/icons-material/PasswordOutlined";
import LogoutIcon from "@mui/icons-material/LogoutOutlined";

import { useLogout } from "../api/auth";
import type { Me } from "../api/types";
import { ChangePasswordDialog } from "./ChangePasswordDialog";

export function displayName(me: Me): string {
  return me.user.display_name?.trim() || me.user.username;
}

export function UserMenu({ me }: { me: Me }) {
  const theme = useTheme();
  const wide = useMediaQuery(theme.breakpoints.up("sm"), { noSsr: true });
  const navigate = useNavigate();
  const logout = useLogout();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const [changing, setChanging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const name = displayName(me);
  const label = `Signed in as ${name} (${me.user.role})`;
  // Local passwords only: an OIDC user's password lives at the provider; no-auth mode has none.
  const canChangePassword = me.auth === "session" && me.user.auth_source === "local";

  const close = () => setAnchor(null);
  const signOut = () => {
    close();
    logout.mutate(undefined, {
      onSuccess: () => void navigate("/login", { replace: true }),
      onError: () => setNotice("Could not sign out; try again"),
    });
  };

  return (
    <>
      {wide ? (
        <Button
          color="inherit"
          onClick={(e) => setAnchor(e.currentTarget)}
          aria-label={label}
          aria-haspopup="menu"
          aria-expanded={anchor ? true : undefined}
          startIcon={<AccountIcon />}
          sx={{ textTransform: "none", ml: 1 }}
        >
          <Typography variant="body2" component="span" noWrap sx={{ maxWidth: 180 }}>
            {name}
          </Typography>
          <Chip
            label={me.user.role}
            size="small"
            variant="outlined"
            sx={{ ml: 1, color: "inherit", borderColor: "currentColor", height: 20, fontSize: 11 }}
          />
        </Button>
      ) : (
        <IconButton color="inherit" onClick={(e) => setAnchor(e.currentTarget)} aria-label={label} aria-haspopup="menu" edge="end">
          <AccountIcon />
        </IconButton>
      )}
      <Menu anchorEl={anchor} open={anchor !== null} onClose={close} anchorOrigin={{ vertical: "bottom", horizontal: "right" }} transformOrigin={{ vertical: "top", horizontal: "right" }}>
        <Box sx={{ px: 2, py: 1 }} role="presentation">
          <Typography variant="body2" sx={{ fontWeight: 600 }}>
            {name}
          </Typography>
          <Typography variant="caption" color="text.secondary">
            {me.user.username} · {me.user.role}
          </Typography>
        </Box>
        <Divider />
        <MenuItem
          onClick={() => {
            close();
            void navigate("/settings/tokens");
          }}
        >
          <ListItemIcon>
            <KeyIcon fontSize="small" />
          </ListItemIcon>
          API tokens
        </MenuItem>
        {canChangePassword && (
          <MenuItem
            onClick={() => {
              close();
              setChanging(true);
            }}
          >
            <ListItemIcon>
              <PasswordIcon fontSize="small" />
            </ListItemIcon>
            Change password
          </MenuItem>
        )}
        {me.auth !== "none" && (
          <MenuItem onClick={signOut} disabled={logout.isPending}>
            <ListItemIcon>
              <LogoutIcon fontSize="small" />
            </ListItemIcon>
            Sign out
          </MenuItem>
        )}
      </Menu>
      <ChangePasswordDialog open={changing} onClose={() => setChanging(false)} onChanged={() => setNotice("Password changed")} />
      <Snackbar open={notice !== null} autoHideDuration={4000} onClose={() => setNotice(null)} message={notice} />
    </>
  );
}
