using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace FlashSale.Host.Infrastructure.Problems;

/// <summary>
/// Makes every 4xx and 5xx an RFC 9457 problem+json: bare status codes (unknown route, missing token, wrong
/// role) get a body with a stable type; malformed JSON becomes a 400; any other exception a 500 that says
/// nothing about the server's insides.
/// </summary>
public static partial class ProblemHandling
{
    public static IServiceCollection AddFlashSaleProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            if (string.IsNullOrEmpty(problem.Type) || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
            {
                problem.Type = ProblemTypes.ForStatus(status);
            }
            problem.Detail ??= status switch
            {
                401 => "A valid bearer token is required.",
                403 => "Your role does not allow this.",
                404 => "Nothing exists at this address.",
                _ => null,
            };
            problem.Extensions.Remove("traceId");
            if (status >= 500)
            {
                // A server fault gets an id to quote to support. Refusals carry none, so a replayed request
                // (same Idempotency-Key) gets a byte-identical answer.
                problem.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
            }
        });
        services.AddExceptionHandler<FlashSaleExceptionHandler>();
        return services;
    }

    public static WebApplication UseFlashSaleProblems(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    private sealed partial class FlashSaleExceptionHandler(IProblemDetailsService problems, ILogger<FlashSaleExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            ProblemDetails problem;
            if (exception is BadHttpRequestException { InnerException: System.Text.Json.JsonException { Message: Security.TextInput.Refusal } text })
            {
                // A string with control characters: a validation problem naming the field ("$.displayName" -> "displayName").
                var field = text.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";
                httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
                problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [Security.TextInput.Refusal] })
                {
                    Status = 400,
                    Type = ProblemTypes.Validation,
                    Title = "The request is invalid.",
                    Detail = "One or more fields are invalid.",
                };
            }
            else if (exception is BadHttpRequestException bad)
            {
                // Malformed JSON, a missing body, a wrong type: the client's mistake, never a 500.
                httpContext.Response.StatusCode = bad.StatusCode;
                problem = new ProblemDetails
                {
                    Status = bad.StatusCode,
                    Type = bad.StatusCode == 400 ? ProblemTypes.MalformedRequest : ProblemTypes.ForStatus(bad.StatusCode),
                    Title = bad.StatusCode == 400 ? "The request body could not be read." : "The request was refused.",
                    Detail = bad.StatusCode == 400 ? "Send a JSON body that matches the documented shape." : null,
                };
            }
            else
            {
                LogUnhandled(logger, exception, httpContext.Request.Path);
                httpContext.Response.StatusCode = StatusCodes.Status500InternalServerError;
                problem = new ProblemDetails
                {
                    Status = 500,
                    Type = ProblemTypes.Internal,
                    Title = "Something went wrong on our side.",
                    Detail = "The error was logged; nothing was half-done. Try again.",
                };
            }
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception })
                .ConfigureAwait(false);
        }

        [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception on {Path}")]
        private static partial void LogUnhandled(ILogger logger, Exception exception, PathString path);
    }
}
