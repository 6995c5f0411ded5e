#!/usr/bin/env bash
# Packs the libraries into a local folder feed and builds and runs samples/TrainAndPredict from those
# packages (samples/nuget.config), as a user of the NuGet packages would. CI runs it (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf artifacts/packages artifacts/sample-packages
dotnet pack BoolNet.sln -c Release -o artifacts/packages -p:ContinuousIntegrationBuild=true
ls artifacts/packages
dotnet run --project samples/TrainAndPredict -c Release -- "${@:-2000}"
