// Light and dark themes. The choice ("system", "light" or "dark") is remembered in
// localStorage; "system" (the default) follows the operating system's setting.

import { createContext, useContext, useMemo, useState, type ReactNode } from "react";
import { CssBaseline, ThemeProvider, createTheme, useMediaQuery } from "@mui/material";

export type ThemeChoice = "system" | "light" | "dark";
const STORAGE_KEY = "torro.theme";

function storedChoice(): ThemeChoice {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

interface ThemeChoiceContext {
  choice: ThemeChoice;
  mode: "light" | "dark";
  setChoice: (choice: ThemeChoice) => void;
}

const Context = createContext<ThemeChoiceContext>({ choice: "system", mode: "light", setChoice: () => {} });

export const useThemeChoice = () => useContext(Context);

export function makeTheme(mode: "light" | "dark") {
  return createTheme({
    palette: {
      mode,
      primary: { main: mode === "light" ? "#1565c0" : "#90caf9" },
      background: mode === "light" ? { default: "#f5f7fa", paper: "#ffffff" } : { default: "#0f1216", paper: "#171b21" },
    },
    shape: { borderRadius: 8 },
    typography: {
      fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
      h1: { fontSize: "1.6rem", fontWeight: 600 },
      h2: { fontSize: "1.15rem", fontWeight: 600 },
      h3: { fontSize: "1rem", fontWeight: 600 },
    },
    components: {
      MuiPaper: { defaultProps: { variant: "outlined" } },
      MuiTableCell: { styleOverrides: { root: { whiteSpace: "nowrap" } } },
    },
  });
}

export function ThemeChoiceProvider({ children }: { children: ReactNode }) {
  const prefersDark = useMediaQuery("(prefers-color-scheme: dark)", { noSsr: true });
  const [choice, setChoiceState] = useState<ThemeChoice>(storedChoice);
  const mode = choice === "system" ? (prefersDark ? "dark" : "light") : choice;
  const theme = useMemo(() => makeTheme(mode), [mode]);
  const value = useMemo(
    () => ({
      choice,
      mode,
      setChoice: (next: ThemeChoice) => {
        setChoiceState(next);
        try {
          if (next === "system") window.localStorage.removeItem(STORAGE_KEY);
          else window.localStorage.setItem(STORAGE_KEY, next);
        } catch {
          // Private mode without storage: the choice lasts for this page only.
        }
      },
    }),
    [choice, mode],
  );
  return (
    <Context.Provider value={value}>
      <ThemeProvider theme={theme}>
        <CssBaseline enableColorScheme />
        {children}
      </ThemeProvider>
    </Context.Provider>
  );
}
