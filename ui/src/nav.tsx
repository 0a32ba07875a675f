// The navigation. A page for a new API (assets, jobs, lineage) is one entry here plus
// one route in App.tsx.

import type { ReactElement } from "react";
import DashboardIcon from "@mui/icons-material/SpaceDashboardOutlined";
import TableIcon from "@mui/icons-material/TableRowsOutlined";
import FolderIcon from "@mui/icons-material/FolderCopyOutlined";
import CableIcon from "@mui/icons-material/CableOutlined";
import AssetIcon from "@mui/icons-material/StorageOutlined";
import ScanIcon from "@mui/icons-material/ManageSearchOutlined";

export interface NavItem {
  label: string;
  path: string;
  icon: ReactElement;
}

export const NAV_ITEMS: NavItem[] = [
  { label: "Dashboard", path: "/", icon: <DashboardIcon /> },
  { label: "Discoveries", path: "/discoveries", icon: <TableIcon /> },
  { label: "Assets", path: "/assets", icon: <AssetIcon /> },
  { label: "Datasets", path: "/datasets", icon: <FolderIcon /> },
  { label: "Connections", path: "/connections", icon: <CableIcon /> },
  { label: "Scans", path: "/scans", icon: <ScanIcon /> },
];
