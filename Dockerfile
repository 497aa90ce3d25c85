# FlashSale.Host image, for docker-compose.yml. Build from the repository root.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
# appsettings.Development.json (the development signing key and admin password) is not published (see the csproj).
RUN dotnet publish FlashSale.Host -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://0.0.0.0:5000 ASPNETCORE_ENVIRONMENT=Production
EXPOSE 5000
# The image's unprivileged "app" user (uid 1654): the host needs no root, so a compromise of it gets none.
USER $APP_UID
ENTRYPOINT ["dotnet", "FlashSale.Host.dll"]
