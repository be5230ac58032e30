using System.Text.Json;
using System.Text.Json.Serialization;

namespace PtqSharp;

/// <summary>
/// How PtqSharp's reports serialize: snake_case keys, enums in kebab-case as the options spell them, times in
/// seconds-bearing strings (<c>hh:mm:ss.fffffff</c>), NaN and infinity as strings. The <c>ptq</c> tool's
/// <c>--json</c> output and the accuracy-aware <c>name.accuracy.json</c> use these options.
/// </summary>
public static class ReportJson
{
    /// <summary>The serializer options of every report (indented).</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>A report, or any object of them, as indented JSON.</summary>
    /// <param name="report">The report.</param>
    public static string Serialize<T>(T report) => JsonSerializer.Serialize(report, Options);

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // names and messages as written, not \u0027
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        };
        options.MakeReadOnly();
        return options;
    }
}
