import { Suspense, lazy, useEffect, useState, type ReactNode } from "react";
import { Navigate, Route, Routes, Link as RouterLink, useLocation, useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import {
  AppBar,
  Box,
  Drawer,
  IconButton,
  List,
  ListItemButton,
  ListItemIcon,
  ListItemText,
  Toolbar,
  Tooltip,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";
import MenuIcon from "@mui/icons-material/Menu";
import DarkIcon from "@mui/icons-material/DarkModeOutlined";
import LightIcon from "@mui/icons-material/LightModeOutlined";
import AutoIcon from "@mui/icons-material/BrightnessAutoOutlined";

import { navItemsFor } from "./nav";
import { useThemeChoice, type ThemeChoice } from "./theme";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { ErrorState, Loading } from "./components/QueryState";
import { UserMenu } from "./components/UserMenu";
import { useLiveEvents } from "./api/hooks";
import { authKeys, useMe } from "./api/auth";
import { loginPath, setUnauthorizedHandler } from "./api/client";
import type { Me, Permission } from "./api/types";

// Each page is its own chunk: the first paint loads only the page it shows.
const Dashboard = lazy(() => import("./pages/Dashboard").then((m) => ({ default: m.Dashboard })));
const Discoveries = lazy(() => import("./pages/Discoveries").then((m) => ({ default: m.Discoveries })));
const DiscoveryDetailPage = lazy(() => import("./pages/DiscoveryDetail").then((m) => ({ default: m.DiscoveryDetailPage })));
const Connections = lazy(() => import("./pages/Connections").then((m) => ({ default: m.Connections })));
const Scans = lazy(() => import("./pages/Scans").then((m) => ({ default: m.Scans })));
const ScanDetailPage = lazy(() => import("./pages/ScanDetail").then((m) => ({ default: m.ScanDetailPage })));
const Datasets = lazy(() => import("./pages/Datasets").then((m) => ({ default: m.Datasets })));
const DatasetDetailPage = lazy(() => import("./pages/DatasetDetail").then((m) => ({ default: m.DatasetDetailPage })));
const Assets = lazy(() => import("./pages/Assets").then((m) => ({ default: m.Assets })));
const AssetDetailPage = lazy(() => import("./pages/AssetDetail").then((m) => ({ default: m.AssetDetailPage })));
const Login = lazy(() => import("./pages/Login").then((m) => ({ default: m.Login })));
const Tokens = lazy(() => import("./pages/Tokens").then((m) => ({ default: m.Tokens })));
const Users = lazy(() => import("./pages/Users").then((m) => ({ default: m.Users })));
const Audit = lazy(() => import("./pages/Audit").then((m) => ({ default: m.Audit })));
const Forbidden = lazy(() => import("./pages/NotFound").then((m) => ({ default: m.Forbidden })));
const NotFound = lazy(() => import("./pages/NotFound").then((m) => ({ default: m.NotFound })));

const DRAWER_WIDTH = 220;
const NEXT_CHOICE: Record<ThemeChoice, ThemeChoice> = { system: "light", light: "dark", dark: "system" };

function ThemeToggle() {
  const { choice, setChoice } = useThemeChoice();
  const label = `Theme: ${choice === "system" ? "follows the system" : choice}. Switch to ${NEXT_CHOICE[choice]}`;
  return (
    <Tooltip title={label}>
      <IconButton color="inherit" onClick={() => setChoice(NEXT_CHOICE[choice])} aria-label={label}>
        {choice === "system" ? <AutoIcon /> : choice === "light" ? <LightIcon /> : <DarkIcon />}
      </IconButton>
    </Tooltip>
  );
}

function Navigation({ permissions, onNavigate }: { permissions: readonly Permission[]; onNavigate?: () => void }) {
  const { pathname } = useLocation();
  const active = (path: string) => (path === "/" ? pathname === "/" : pathname === path || pathname.startsWith(`${path}/`));
  return (
    <List component="nav" aria-label="Main">
      {navItemsFor(permissions).map((item) => (
        <ListItemButton
          key={item.path}
          component={RouterLink}
          to={item.path}
          selected={active(item.path)}
          aria-current={active(item.path) ? "page" : undefined}
          onClick={onNavigate}
          sx={{ mx: 1, borderRadius: 1 }}
        >
          <ListItemIcon sx={{ minWidth: 36 }}>{item.icon}</ListItemIcon>
          <ListItemText primary={item.label} />
        </ListItemButton>
      ))}
    </List>
  );
}

/**
 * Routes: `/login` stands alone; everything else needs a signed-in user. A 401 from any
 * API call (the session expired, or was revoked) leads back to the login page, which
 * returns to where the user was.
 */
export function App() {
  const navigate = useNavigate();
  const client = useQueryClient();
  useEffect(() => {
    setUnauthorizedHandler((returnTo) => {
      client.setQueryData(authKeys.me, null);
      void navigate(loginPath(returnTo), { replace: true });
    });
    return () => setUnauthorizedHandler(null);
  }, [client, navigate]);
  return (
    <Routes>
      <Route
        path="/login"
        element={
          <Suspense fallback={<Loading />}>
            <Login />
          </Suspense>
        }
      />
      <Route path="*" element={<RequireUser />} />
    </Routes>
  );
}

function RequireUser() {
  const me = useMe();
  const { pathname, search, hash } = useLocation();
  if (me.isPending) return <Loading label="Checking who is signed in…" />;
  if (me.isError) {
    return (
      <Box sx={{ p: 3 }}>
        <ErrorState error={me.error} title="Cannot reach the Torro server" onRetry={() => void me.refetch()} />
      </Box>
    );
  }
  if (me.data === null) return <Navigate to={loginPath(`${pathname}${search}${hash}`)} replace />;
  return <Shell me={me.data} />;
}

/** A page only some roles may open; others get a plain "not allowed" page. */
function Allowed({ me, permission, children }: { me: Me; permission: Permission; children: ReactNode }) {
  return me.permissions.includes(permission) ? <>{children}</> : <Forbidden />;
}

function Shell({ me }: { me: Me }) {
  const theme = useTheme();
  const wide = useMediaQuery(theme.breakpoints.up("md"), { noSsr: true });
  const [menuOpen, setMenuOpen] = useState(false);
  const { pathname } = useLocation();
  useLiveEvents();

  return (
    <Box sx={{ display: "flex", minHeight: "100vh" }}>
      <Box
        component="a"
        href="#main"
        sx={{ position: "absolute", left: -9999, "&:focus": { left: 8, top: 8, zIndex: 2000, p: 1, bgcolor: "background.paper" } }}
      >
        Skip to content
      </Box>
      <AppBar position="fixed" elevation={0} sx={{ zIndex: (t) => t.zIndex.drawer + 1 }}>
        <Toolbar variant="dense">
          {!wide && (
            <IconButton color="inherit" edge="start" aria-label="Open the menu" onClick={() => setMenuOpen(true)} sx={{ mr: 1 }}>
              <MenuIcon />
            </IconButton>
          )}
          <Typography
            variant="h6"
            component={RouterLink}
            to="/"
            sx={{ color: "inherit", textDecoration: "none", fontWeight: 700, letterSpacing: 0.5, flexGrow: 1 }}
          >
            Torro
          </Typography>
          <ThemeToggle />
          <UserMenu me={me} />
        </Toolbar>
      </AppBar>
      {wide ? (
        <Drawer
          variant="permanent"
          sx={{ width: DRAWER_WIDTH, flexShrink: 0, "& .MuiDrawer-paper": { width: DRAWER_WIDTH, boxSizing: "border-box" } }}
        >
          <Toolbar variant="dense" />
          <Navigation permissions={me.permissions} />
        </Drawer>
      ) : (
        <Drawer open={menuOpen} onClose={() => setMenuOpen(false)} sx={{ "& .MuiDrawer-paper": { width: DRAWER_WIDTH } }}>
          <Toolbar variant="dense" />
          <Navigation permissions={me.permissions} onNavigate={() => setMenuOpen(false)} />
        </Drawer>
      )}
      <Box component="main" id="main" tabIndex={-1} sx={{ flexGrow: 1, minWidth: 0, p: { xs: 1.5, sm: 3 }, outline: "none" }}>
        <Toolbar variant="dense" />
        <ErrorBoundary resetKey={pathname}>
          <Suspense fallback={<Loading />}>
            <Routes>
              <Route path="/" element={<Dashboard />} />
              <Route path="/discoveries" element={<Discoveries />} />
              <Route path="/discoveries/:id" element={<DiscoveryDetailPage />} />
              <Route path="/assets" element={<Assets />} />
              <Route path="/assets/:id" element={<AssetDetailPage />} />
              <Route path="/datasets" element={<Datasets />} />
              <Route path="/datasets/:id" element={<DatasetDetailPage />} />
              <Route path="/connections" element={<Connections />} />
              <Route path="/scans" element={<Scans />} />
              <Route path="/scans/:id" element={<ScanDetailPage />} />
              <Route path="/settings/tokens" element={<Tokens />} />
              <Route
                path="/admin/users"
                element={
                  <Allowed me={me} permission="manage_users">
                    <Users />
                  </Allowed>
                }
              />
              <Route
                path="/audit"
                element={
                  <Allowed me={me} permission="read_audit">
                    <Audit />
                  </Allowed>
                }
              />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </Suspense>
        </ErrorBoundary>
      </Box>
    </Box>
  );
}
