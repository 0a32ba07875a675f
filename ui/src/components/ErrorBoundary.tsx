import { Component, type ReactNode } from "react";
import { Alert, AlertTitle, Button } from "@mui/material";

interface State {
  error: Error | null;
}

/** A page that throws while rendering shows what happened instead of a blank screen. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidUpdate(previous: { resetKey: string }) {
    // Navigating elsewhere gives the next page a fresh start.
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <Alert
        severity="error"
        action={
          <Button color="inherit" size="small" onClick={() => window.location.reload()}>
            Reload
          </Button>
        }
      >
        <AlertTitle>This page failed to show</AlertTitle>
        {this.state.error.message}. Reload the page; if it happens again, please report it with the steps that led here.
      </Alert>
    );
  }
}
