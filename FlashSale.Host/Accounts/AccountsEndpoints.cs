using System.Security.Claims;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlashSale.Host.Accounts;

/// <summary>What the account handlers use, injected as one parameter.</summary>
public sealed record AccountServices(
    UserStore Users, PasswordHashing Passwords, PasswordHashGate HashGate, SignInFailures Failures, AccessTokenIssuer Tokens,
    RefreshTokens Refresh, TimeProvider Clock);

public static class AccountsEndpoints
{
    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder routes)
    {
        var auth = routes.MapGroup("/api/v1/auth").WithTags("Accounts");
        auth.MapPost("/register", Register).RequireRateLimiting(RateLimitPolicies.Auth);
        auth.MapPost("/login", Login).RequireRateLimiting(RateLimitPolicies.Auth);
        auth.MapPost("/refresh", Refresh).RequireRateLimiting(RateLimitPolicies.Session);
        auth.MapPost("/logout", Logout).RequireRateLimiting(RateLimitPolicies.Session);
        auth.MapPost("/logout-all", LogoutAll).RequireAuthorization().RequireCurrentSession().RequireRateLimiting(RateLimitPolicies.Session);
        auth.MapPost("/password", ChangePassword).RequireAuthorization().RequireCurrentSession().RequireRateLimiting(RateLimitPolicies.Auth);
        auth.MapGet("/me", Me).RequireAuthorization();
        return routes;
    }

    public static async Task<Results<Created<AuthResponse>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterRequest request, [AsParameters] AccountServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var errors = AccountValidation.Validate(request);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        string hash;
        using (var slot = await services.HashGate.EnterAsync(cancellationToken))
        {
            if (!slot.IsAcquired)
            {
                return HashingBusy();
            }
            hash = services.Passwords.Hash(request.Password!);
        }
        var user = new UserAccount(Guid.CreateVersion7(), request.Email!.Trim(), request.DisplayName!.Trim(),
            hash, Roles.Shopper, services.Clock.GetUtcNow().UtcDateTime);
        if (!await services.Users.TryCreateAsync(user, cancellationToken))
        {
            return Problems.Conflict(ProblemTypes.DuplicateEmail, "That email is already registered.", "Sign in instead, or use another email.");
        }
        var response = await SignInAsync(user, services, cancellationToken);
        return TypedResults.Created("/api/v1/auth/me", response);
    }

    /// <summary>
    /// Signs in. An email with too many recent failures answers 429 before any hashing; the hash itself waits for a
    /// slot of <see cref="PasswordHashGate"/>. A right password stored with an older work factor is rehashed.
    /// </summary>
    public static async Task<Results<Ok<AuthResponse>, ValidationProblem, ProblemHttpResult>> Login(
        LoginRequest request, [AsParameters] AccountServices services, HttpContext http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(http);
        var errors = AccountValidation.Validate(request);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var email = AccountValidation.NormalizeEmail(request.Email!);
        if (services.Failures.IsLocked(email, out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            return Problems.RetryAfter(http, seconds, StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyRequests, "Too many failed sign-ins for this email.",
                $"Wait {seconds} s before trying again.");
        }
        var user = await services.Users.FindByEmailAsync(request.Email!, cancellationToken);
        PasswordCheck check;
        string? rehash = null;
        using (var slot = await services.HashGate.EnterAsync(cancellationToken))
        {
            if (!slot.IsAcquired)
            {
                return HashingBusy();
            }
            check = services.Passwords.Verify(user?.PasswordHash, request.Password!);
            if (check == PasswordCheck.RehashNeeded)
            {
                // In the same slot: the upgrade is a hash too, and must not escape the cap.
                rehash = services.Passwords.Hash(request.Password!);
            }
        }
        if (check == PasswordCheck.Failed || user is null)
        {
            services.Failures.RecordFailure(email);
            return Problems.Unauthorized(ProblemTypes.InvalidCredentials, "The email or password is wrong.");
        }
        services.Failures.RecordSuccess(email);
        if (rehash is not null)
        {
            await services.Users.UpdatePasswordHashAsync(user.Id, user.PasswordHash, rehash, cancellationToken);
        }
        return TypedResults.Ok(await SignInAsync(user, services, cancellationToken));
    }

    public static async Task<Results<Ok<AuthResponse>, ValidationProblem, ProblemHttpResult>> Refresh(
        RefreshRequest request, [AsParameters] AccountServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (string.IsNullOrWhiteSpace(request.RefreshToken))
        {
            return Problems.Validation("refreshToken", "The refresh token is required.");
        }
        var rotation = await services.Refresh.RotateAsync(request.RefreshToken, cancellationToken);
        switch (rotation.Outcome)
        {
            case RefreshTokens.RotationOutcome.Reused:
                return Problems.Unauthorized(ProblemTypes.RefreshTokenReused, "This refresh token was already used; every session of it is now signed out.");
            case RefreshTokens.RotationOutcome.Invalid:
                return Problems.Unauthorized(ProblemTypes.InvalidRefreshToken, "The refresh token is unknown, expired or revoked.");
        }
        var user = await services.Users.FindByIdAsync(rotation.UserId, cancellationToken);
        if (user is null)
        {
            return Problems.Unauthorized(ProblemTypes.InvalidRefreshToken, "The refresh token is unknown, expired or revoked.");
        }
        var access = services.Tokens.Issue(user.Id, user.Email, user.DisplayName, user.Role, securityStamp: user.SecurityStamp);
        return TypedResults.Ok(new AuthResponse(UserResponse.From(user), access, rotation.NewToken!, services.Tokens.DefaultLifetimeSeconds));
    }

    public static async Task<Results<NoContent, ValidationProblem>> Logout(RefreshRequest request, RefreshTokens refresh, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(refresh);
        if (string.IsNullOrWhiteSpace(request.RefreshToken))
        {
            return Problems.Validation("refreshToken", "The refresh token is required.");
        }
        await refresh.RevokeAsync(request.RefreshToken, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Signs out every session of the user: refresh tokens revoked, access tokens and sockets dead within a minute.</summary>
    public static async Task<NoContent> LogoutAll(ClaimsPrincipal principal, RefreshTokens refresh, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(refresh);
        await refresh.RevokeAllAsync(principal.UserId(), "logout-all", null, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Changes the password and signs out every other session; answers fresh tokens for this one.</summary>
    public static async Task<Results<Ok<AuthResponse>, ValidationProblem, ProblemHttpResult>> ChangePassword(
        ChangePasswordRequest request, ClaimsPrincipal principal, [AsParameters] AccountServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var errors = AccountValidation.Validate(request);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var user = await services.Users.FindByIdAsync(principal.UserId(), cancellationToken);
        if (user is null)
        {
            return Problems.Unauthorized(ProblemTypes.Unauthorized, "The account of this token no longer exists.");
        }
        string newHash;
        using (var slot = await services.HashGate.EnterAsync(cancellationToken))
        {
            if (!slot.IsAcquired)
            {
                return HashingBusy();
            }
            if (services.Passwords.Verify(user.PasswordHash, request.CurrentPassword!) == PasswordCheck.Failed)
            {
                return Problems.Validation("currentPassword", "The current password is wrong.");
            }
            newHash = services.Passwords.Hash(request.NewPassword!);
        }
        var stamp = await services.Refresh.RevokeAllAsync(user.Id, "password-change", (connection, transaction) =>
            services.Users.SetPasswordHashAsync(connection, transaction, user.Id, newHash, cancellationToken), cancellationToken);
        return TypedResults.Ok(await SignInAsync(user with { SecurityStamp = stamp }, services, cancellationToken));
    }

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> Me(ClaimsPrincipal principal, UserStore users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        var user = await users.FindByIdAsync(principal.UserId(), cancellationToken);
        return user is null
            ? Problems.Unauthorized(ProblemTypes.Unauthorized, "The account of this token no longer exists.")
            : TypedResults.Ok(UserResponse.From(user));
    }

    private static ProblemHttpResult HashingBusy() =>
        Problems.Of(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Overloaded, "Too many sign-ins at this moment.", "Try again in a few seconds.");

    private static async Task<AuthResponse> SignInAsync(UserAccount user, AccountServices services, CancellationToken cancellationToken)
    {
        var access = services.Tokens.Issue(user.Id, user.Email, user.DisplayName, user.Role, securityStamp: user.SecurityStamp);
        var refreshToken = await services.Refresh.IssueAsync(user.Id, cancellationToken);
        return new AuthResponse(UserResponse.From(user), access, refreshToken, services.Tokens.DefaultLifetimeSeconds);
    }
}
