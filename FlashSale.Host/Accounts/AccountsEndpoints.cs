using System.Security.Claims;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlashSale.Host.Accounts;

public static class AccountsEndpoints
{
    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder routes)
    {
        var auth = routes.MapGroup("/api/v1/auth").WithTags("Accounts");
        auth.MapPost("/register", Register).RequireRateLimiting(AuthRateLimiting.Policy);
        auth.MapPost("/login", Login).RequireRateLimiting(AuthRateLimiting.Policy);
        auth.MapPost("/refresh", Refresh);
        auth.MapPost("/logout", Logout);
        auth.MapGet("/me", Me).RequireAuthorization();
        return routes;
    }

    public static async Task<Results<Created<AuthResponse>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterRequest request, UserStore users, PasswordHashing passwords, AccessTokenIssuer tokens, RefreshTokens refresh,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = AccountValidation.Validate(request);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var user = new UserAccount(Guid.CreateVersion7(), request.Email!.Trim(), request.DisplayName!.Trim(),
            passwords.Hash(request.Password!), Roles.Shopper, clock.GetUtcNow().UtcDateTime);
        if (!await users.TryCreateAsync(user, cancellationToken))
        {
            return Problems.Conflict(ProblemTypes.DuplicateEmail, "That email is already registered.", "Sign in instead, or use another email.");
        }
        var response = await SignInAsync(user, tokens, refresh, cancellationToken);
        return TypedResults.Created("/api/v1/auth/me", response);
    }

    public static async Task<Results<Ok<AuthResponse>, ValidationProblem, ProblemHttpResult>> Login(
        LoginRequest request, UserStore users, PasswordHashing passwords, AccessTokenIssuer tokens, RefreshTokens refresh,
        CancellationToken cancellationToken)
    {
        var errors = AccountValidation.Validate(request);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var user = await users.FindByEmailAsync(request.Email!, cancellationToken);
        if (!passwords.Verify(user?.PasswordHash, request.Password!) || user is null)
        {
            return Problems.Unauthorized(ProblemTypes.InvalidCredentials, "The email or password is wrong.");
        }
        return TypedResults.Ok(await SignInAsync(user, tokens, refresh, cancellationToken));
    }

    public static async Task<Results<Ok<AuthResponse>, ValidationProblem, ProblemHttpResult>> Refresh(
        RefreshRequest request, UserStore users, AccessTokenIssuer tokens, RefreshTokens refresh, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.RefreshToken))
        {
            return Problems.Validation("refreshToken", "The refresh token is required.");
        }
        var rotation = await refresh.RotateAsync(request.RefreshToken, cancellationToken);
        switch (rotation.Outcome)
        {
            case RefreshTokens.RotationOutcome.Reused:
                return Problems.Unauthorized(ProblemTypes.RefreshTokenReused, "This refresh token was already used; every session of it is now signed out.");
            case RefreshTokens.RotationOutcome.Invalid:
                return Problems.Unauthorized(ProblemTypes.InvalidRefreshToken, "The refresh token is unknown, expired or revoked.");
        }
        var user = await users.FindByIdAsync(rotation.UserId, cancellationToken);
        if (user is null)
        {
            return Problems.Unauthorized(ProblemTypes.InvalidRefreshToken, "The refresh token is unknown, expired or revoked.");
        }
        var access = tokens.Issue(user.Id, user.Email, user.DisplayName, user.Role);
        return TypedResults.Ok(new AuthResponse(UserResponse.From(user), access, rotation.NewToken!, tokens.DefaultLifetimeSeconds));
    }

    public static async Task<Results<NoContent, ValidationProblem>> Logout(RefreshRequest request, RefreshTokens refresh, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.RefreshToken))
        {
            return Problems.Validation("refreshToken", "The refresh token is required.");
        }
        await refresh.RevokeAsync(request.RefreshToken, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> Me(ClaimsPrincipal principal, UserStore users, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(principal.UserId(), cancellationToken);
        return user is null
            ? Problems.Unauthorized(ProblemTypes.Unauthorized, "The account of this token no longer exists.")
            : TypedResults.Ok(UserResponse.From(user));
    }

    private static async Task<AuthResponse> SignInAsync(UserAccount user, AccessTokenIssuer tokens, RefreshTokens refresh, CancellationToken cancellationToken)
    {
        var access = tokens.Issue(user.Id, user.Email, user.DisplayName, user.Role);
        var refreshToken = await refresh.IssueAsync(user.Id, cancellationToken);
        return new AuthResponse(UserResponse.From(user), access, refreshToken, tokens.DefaultLifetimeSeconds);
    }
}
