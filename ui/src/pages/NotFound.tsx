import { Button } from "@mui/material";
import { Link as RouterLink } from "react-router";

import { Empty } from "../components/QueryState";
import { PageHeader } from "../components/PageHeader";

export function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Empty
        title="There is no page at this address"
        action={
          <Button component={RouterLink} to="/" variant="contained">
            Go to the dashboard
          </Button>
        }
      >
        The link may be old, or the page may come with a later version of Torro.
      </Empty>
    </>
  );
}

/** A page the signed-in user's role may not open (the server would refuse its API too). */
export function Forbidden() {
  return (
    <>
      <PageHeader title="Not allowed" />
      <Empty
        title="Your role cannot open this page"
        action={
          <Button component={RouterLink} to="/" variant="contained">
            Go to the dashboard
          </Button>
        }
      >
        Ask an administrator for a role that includes it.
      </Empty>
    </>
  );
}
