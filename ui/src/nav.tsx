// The navigation. A page for a new API (assets, jobs, lineage) is one entry here plus
// one route in App.tsx. Entries with a permission show only to users who have it.

import type { ReactElement } from "react";
import DashboardIcon from "@mui/icons-material/SpaceDashboardOutlined";
import TableIcon from "@mui/icons-material/TableRowsOutlined";
import FolderIcon from "@mui/icons-material/FolderCopyOutlined";
import CableIcon from "@mui/icons-material/CableOutlined";
import AssetIcon from "@mui/icons-material/StorageOutlined";
import ScanIcon from "@mui/icons-material/ManageSearchOutlined";
import AuditIcon from "@mui/icons-material/HistoryEduOutlined";
import UsersIcon from "@mui/icons-material/ManageAccountsOutlined";

import type { Permission } from "./api/types";

export interface NavItem {
  label: string;
  path: string;
  icon: ReactElement;
  /** Shown only to users with this permission (the server refuses the rest anyway). */
  permission?: Permission;
}

export const NAV_ITEMS: NavItem[] = [
  { label: "Dashboard", path: "/", icon: <DashboardIcon /> },
  { label: "Discoveries", path: "/discoveries", icon: <TableIcon /> },
  { label: "Assets", path: "/assets", icon: <AssetIcon /> },
  { label: "Datasets", path: "/datasets", icon: <FolderIcon /> },
  { label: "Connections", path: "/connections", icon: <CableIcon /> },
  { label: "Scans", path: "/scans", icon: <ScanIcon /> },
  { label: "Audit", path: "/audit", icon: <AuditIcon />, permission: "read_audit" },
  { label: "Users", path: "/admin/users", icon: <UsersIcon />, permission: "manage_users" },
];

/** The entries this user may open. */
export function navItemsFor(permissions: readonly Permission[]): NavItem[] {
  return NAV_ITEMS.filter((item) => !item.permission || permissions.includes(item.permission));
}
