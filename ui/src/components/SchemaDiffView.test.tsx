import { describe, expect, test } from "vitest";
import { render, screen } from "@testing-library/react";

import { SchemaDiffView } from "./SchemaDiffView";

describe("SchemaDiffView", () => {
  test("each change is a line with a sign that does not rely on colour", () => {
    render(
      <SchemaDiffView
        diff={{
          added: [{ name: "tier", type: "string", nullable: false }],
          removed: [{ name: "country", type: "string", nullable: true }],
          type_changed: [{ name: "amount", from: "int64", to: "decimal(10,2)" }],
          nullability_changed: [{ name: "id", from: true, to: false }],
          reordered: true,
        }}
      />,
    );
    const lines = screen.getAllByRole("listitem").map((li) => li.textContent);
    expect(lines).toEqual([
      "+tier: string not null",
      "−country: string",
      "~amount: int64 → decimal(10,2)",
      "~id: nullable → not null",
      "~columns reordered",
    ]);
  });

  test("no changes says so", () => {
    render(<SchemaDiffView diff={{ added: [], removed: [], type_changed: [], nullability_changed: [], reordered: false }} />);
    expect(screen.getByText("No column changes")).toBeTruthy();
  });
});
