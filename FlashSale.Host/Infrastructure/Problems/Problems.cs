using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlashSale.Host.Infrastructure.Problems;

/// <summary>Builders for the problem+json answers the handlers return, so every refusal has the same shape.</summary>
public static class Problems
{
    public static ProblemHttpResult Of(int status, string type, string title, string? detail = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type);

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "One or more fields are invalid.", title: "The request is invalid.", type: ProblemTypes.Validation);

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult NotFound(string what) =>
        Of(StatusCodes.Status404NotFound, ProblemTypes.NotFound, $"{what} was not found.");

    public static ProblemHttpResult Conflict(string type, string title, string? detail = null) =>
        Of(StatusCodes.Status409Conflict, type, title, detail);

    public static ProblemHttpResult Unauthorized(string type, string title) =>
        Of(StatusCodes.Status401Unauthorized, type, title);

    /// <summary>A refusal the client may retry after <paramref name="seconds"/>: the <c>Retry-After</c> header goes with it.</summary>
    public static ProblemHttpResult RetryAfter(HttpContext http, int seconds, int status, string type, string title, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Of(status, type, title, detail);
    }

    /// <summary>503: a dependency did not answer; the detail says what changed (usually nothing) and that a retry is safe.</summary>
    public static ProblemHttpResult Unavailable(HttpContext http, int retryAfterSeconds, string title, string detail) =>
        RetryAfter(http, retryAfterSeconds, StatusCodes.Status503ServiceUnavailable, ProblemTypes.ServiceUnavailable, title, detail);
}
