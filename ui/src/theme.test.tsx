import { describe, expect, test } from "vitest";
import { act, render, screen } from "@testing-library/react";

import { ThemeChoiceProvider, useThemeChoice } from "./theme";

function Probe() {
  const { choice, mode, setChoice } = useThemeChoice();
  return (
    <>
      <output aria-label="theme">{`${choice}/${mode}`}</output>
      <button onClick={() => setChoice("dark")}>dark</button>
      <button onClick={() => setChoice("system")}>system</button>
    </>
  );
}

describe("theme choice", () => {
  test("follows the system until chosen, and remembers the choice", () => {
    const first = render(
      <ThemeChoiceProvider>
        <Probe />
      </ThemeChoiceProvider>,
    );
    // The test setup's matchMedia says the system is light.
    expect(screen.getByLabelText("theme").textContent).toBe("system/light");
    act(() => screen.getByRole("button", { name: "dark" }).click());
    expect(screen.getByLabelText("theme").textContent).toBe("dark/dark");
    expect(window.localStorage.getItem("torro.theme")).toBe("dark");
    first.unmount();

    // A new visit starts with the remembered choice.
    render(
      <ThemeChoiceProvider>
        <Probe />
      </ThemeChoiceProvider>,
    );
    expect(screen.getByLabelText("theme").textContent).toBe("dark/dark");
    act(() => screen.getByRole("button", { name: "system" }).click());
    expect(window.localStorage.getItem("torro.theme")).toBeNull();
  });
});
