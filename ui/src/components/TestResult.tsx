import { useEffect, useRef } from "react";
import { Alert, AlertTitle, Box } from "@mui/material";

import type { ConnectionTest } from "../api/types";

/** The outcome of a connection test, with what failed per container. */
export function TestResult({ result }: { result: ConnectionTest }) {
  const ref = useRef<HTMLDivElement>(null);
  // The result lands at the end of a long form: bring it into view. (Braces: newer
  // browsers return a promise from scrollIntoView, which React would take for a cleanup.)
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }, [result]);
  const failed = result.results.filter((r) => !r.ok);
  if (result.ok) {
    return (
      <Alert ref={ref} severity="success" role="status">
        Connection works{result.results.length > 0 && `: ${result.results.map((r) => r.container || "(root)").join(", ")} reachable`}
      </Alert>
    );
  }
  return (
    <Alert ref={ref} severity="error" role="alert">
      <AlertTitle>Connection test failed</AlertTitle>
      {failed.length === 0 && "The server could not open any container."}
      <Box component="ul" sx={{ m: 0, pl: 2 }}>
        {failed.map((r) => (
          <li key={r.container}>
            <strong>{r.container || "(root)"}</strong>: {r.error}
          </li>
        ))}
      </Box>
    </Alert>
  );
}
