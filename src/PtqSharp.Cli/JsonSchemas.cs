using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace PtqSharp.Cli;

/// <summary>
/// The JSON Schema of each command's <c>--json</c> object, generated from the result records in
/// records of JsonResults.cs with the options that serialize them, so schema and output cannot drift.
/// The files in <c>docs/json/</c> are these schemas; a test fails when the types change and the files do not.
/// </summary>
internal static class JsonSchemas
{
    /// <summary>Each command and the result types its object's <c>result</c> can hold.</summary>
    public static readonly IReadOnlyDictionary<string, Type[]> Results = new Dictionary<string, Type[]>
    {
        ["quantize"] = [typeof(QuantizeResult), typeof(AccuracyAwareResult), typeof(NotFasterResult)],
        ["inspect"] = [typeof(InspectResult)],
        ["devices"] = [typeof(DevicesResult)],
        ["benchmark"] = [typeof(BenchmarkResult)],
        ["evaluate"] = [typeof(EvaluateResult)],
        ["debug"] = [typeof(DebugResult)],
        ["compress-weights"] = [typeof(CompressWeightsResult)],
    };

    /// <summary>The schema of <c>ptq <paramref name="command"/> --json</c>.</summary>
    public static JsonObject For(string command)
    {
        var exporter = new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true, TransformSchemaNode = Close };
        var results = new JsonArray(Results[command].Select((t, i) =>
        {
            var schema = JsonSchemaExporter.GetJsonSchemaAsNode(ReportJson.Options, t, exporter);
            Rebase(schema, $"#/properties/result/anyOf/{i}"); // the exporter's references start at the result's own root
            return (JsonNode?)schema;
        }).ToArray());
        results.Add(new JsonObject { ["type"] = "null" });
        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = $"ptq {command} --json",
            ["description"] = "One object on stdout. exit_code is the process's exit code; error is set when it is not 0 (and result may still be, e.g. the latency figures of exit code 5).",
            ["type"] = "object",
            ["required"] = new JsonArray("schema", "command", "version", "exit_code", "warnings"),
            ["additionalProperties"] = false,
            ["properties"] = new JsonObject
            {
                ["schema"] = new JsonObject { ["const"] = $"ptq-{command}/1" },
                ["command"] = new JsonObject { ["const"] = command },
                ["version"] = new JsonObject { ["type"] = "string" },
                ["exit_code"] = new JsonObject { ["type"] = "integer" },
                ["warnings"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
                ["error"] = new JsonObject { ["type"] = "string" },
                ["result"] = new JsonObject { ["anyOf"] = results },
            },
        };
    }

    private static void Rebase(JsonNode? node, string root)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue r && r.GetValue<string>() is var target && target.StartsWith('#')) o["$ref"] = root + target[1..];
                foreach (var (_, child) in o.ToList()) Rebase(child, root);
                break;
            case JsonArray a:
                foreach (var child in a) Rebase(child, root);
                break;
        }
    }

    /// <summary>Objects list every key they may have: a key that is not in the schema is a change of schema.</summary>
    private static JsonNode Close(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (schema is JsonObject o && o.ContainsKey("properties") && !o.ContainsKey("additionalProperties")) o["additionalProperties"] = false;

        // A nullable number is written as anyOf [number, NaN/infinity strings], which loses its null: add it back.
        if (Nullable.GetUnderlyingType(context.TypeInfo.Type) is not null && schema is JsonObject n && n["anyOf"] is JsonArray any
            && !any.Any(x => x?["type"]?.GetValue<string>() == "null"))
        {
            any.Add(new JsonObject { ["type"] = "null" });
        }

        return schema;
    }
}
