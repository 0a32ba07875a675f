import { Suspense, lazy, useState } from "react";
import { Route, Routes, Link as RouterLink, useLocation } from "react-router";
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

import { NAV_ITEMS } from "./nav";
import { useThemeChoice, type ThemeChoice } from "./theme";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Loading } from "./components/QueryState";
import { useLiveEvents } from "./api/hooks";

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

function Navigation({ onNavigate }: { onNavigate?: () => void }) {
  const { pathname } = useLocation();
  const active = (path: string) => (path === "/" ? pathname === "/" : pathname === path || pathname.startsWith(`${path}/`));
  return (
    <List component="nav" aria-label="Main">
      {NAV_ITEMS.map((item) => (
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

export function App() {
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
        </Toolbar>
      </AppBar>
      {wide ? (
        <Drawer
          variant="permanent"
          sx={{ width: DRAWER_WIDTH, flexShrink: 0, "& .MuiDrawer-paper": { width: DRAWER_WIDTH, boxSizing: "border-box" } }}
        >
          <Toolbar variant="dense" />
          <Navigation />
        </Drawer>
      ) : (
        <Drawer open={menuOpen} onClose={() => setMenuOpen(false)} sx={{ "& .MuiDrawer-paper": { width: DRAWER_WIDTH } }}>
          <Toolbar variant="dense" />
          <Navigation onNavigate={() => setMenuOpen(false)} />
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
              <Route path="*" element={<NotFound />} />
            </Routes>
          </Suspense>
        </ErrorBoundary>
      </Box>
    </Box>
  );
}
