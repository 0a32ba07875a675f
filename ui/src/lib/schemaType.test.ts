import { describe, expect, test } from "vitest";

import { flattenColumns, listItem, shortType, structMembers } from "./schemaType";

describe("nested column types", () => {
  test("struct members become indented rows under their parent", () => {
    const rows = flattenColumns([
      { name: "id", type: "int64", nullable: false },
      { name: "address", type: "struct<city: string not null, geo: struct<lat: float64, lon: float64>>", nullable: true },
    ]);
    expect(rows.map((r) => [r.path, r.type, r.nullable, r.depth])).toEqual([
      ["id", "int64", false, 0],
      ["address", "struct<city: string not null, geo: struct<lat: float64, lon: float64>>", true, 0],
      ["address.city", "string", false, 1],
      ["address.geo", "struct<lat: float64, lon: float64>", true, 1],
      ["address.geo.lat", "float64", true, 2],
      ["address.geo.lon", "float64", true, 2],
    ]);
  });

  test("list items that are structs are expanded under `[]`", () => {
    const rows = flattenColumns([{ name: "lines", type: "list<struct<sku: string, qty: int32 not null>>", nullable: true }]);
    expect(rows.map((r) => r.path)).toEqual(["lines", "lines[].sku", "lines[].qty"]);
    expect(rows[2]?.nullable).toBe(false);
  });

  test("quoted member names keep commas, colons and backticks", () => {
    const members = structMembers("struct<`a, b`: int64, `x:y`: map<string, int64>, `tick``s`: decimal(10,2)>");
    expect(members).toEqual([
      { name: "a, b", type: "int64", nullable: true },
      { name: "x:y", type: "map<string, int64>", nullable: true },
      { name: "tick`s", type: "decimal(10,2)", nullable: true },
    ]);
  });

  test("plain and unknown types have no members", () => {
    expect(structMembers("int64")).toBeNull();
    expect(structMembers("other(geometry)")).toBeNull();
    expect(listItem("list<string>")).toBe("string");
    expect(flattenColumns([{ name: "tags", type: "list<string>", nullable: true }])).toHaveLength(1);
  });

  test("short type text for narrow cells", () => {
    expect(shortType("struct<a: int64, b: string>")).toBe("struct (2 fields)");
    expect(shortType("list<struct<a: int64>>")).toBe("list<struct (1 field)>");
    expect(shortType("timestamp[us, UTC]")).toBe("timestamp[us, UTC]");
  });
});
