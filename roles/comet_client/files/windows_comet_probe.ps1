# Read-only probe of the Comet Backup client on a Windows host for unil.backup.comet_client (run by
# ansible.windows.win_powershell, PowerShell 5.1 or later). One round trip; everything is returned raw and normalised
# on the controller by the filter unil.backup.comet_client_windows_facts (plugins/module_utils/_comet_windows.py).
# The registry key names, service names and login codes are parameters, from that same Python file: none is defined
# here. Nothing secret is read: not the client's stored credentials, only `backup-tool.exe login status`.
[CmdletBinding()]
param (
    [string]$InstallDirHint = '',
    [Parameter(Mandatory = $true)][string]$UninstallKey,
    [Parameter(Mandatory = $true)][string]$SettingsKey,
    [Parameter(Mandatory = $true)][string]$BackupToolExe,
    [Parameter(Mandatory = $true)][string[]]$ServiceNames,
    [int]$WaitLoginSeconds = 0,
    [int[]]$TransientLoginCodes = @(),
    [Parameter(Mandatory = $true)][string]$LoginCodePattern
)

$Ansible.Changed = $false
$ErrorActionPreference = 'Stop'

# The first of the 64-bit and 32-bit views of an HKLM key that exists, with the wanted values as strings.
function Read-MachineKey {
    param([string]$RelativePath, [string[]]$ValueNames)
    $wow = $RelativePath -replace '^SOFTWARE\\', 'SOFTWARE\WOW6432Node\'
    foreach ($path in @("HKLM:\$RelativePath", "HKLM:\$wow") | Select-Object -Unique) {
        if (-not (Test-Path -LiteralPath $path)) { continue }
        $values = Get-ItemProperty -LiteralPath $path -ErrorAction SilentlyContinue
        $out = [ordered]@{ path = $path }
        foreach ($name in $ValueNames) {
            $value = if ($null -ne $values) { $values.$name } else { $null }
            $out[$name] = if ($null -ne $value -and $value -isnot [array]) { [string]$value } else { '' }
        }
        return $out
    }
    return $null
}

# The client's program with its own directory as the working directory; stdout and stderr together, and the exit code.
function Invoke-BackupTool {
    param([string]$Exe, [string[]]$Arguments, [int]$TimeoutSeconds = 120)
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = $Exe
    $info.Arguments = $Arguments -join ' '
    $info.WorkingDirectory = Split-Path -Parent $Exe
    $info.UseShellExecute = $false
    $info.CreateNoWindow = $true
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    try {
        $process = [System.Diagnostics.Process]::Start($info)
    }
    catch {
        # a program that cannot start reads as no status (code -1 on the controller), not as a failed probe; no
        # parenthesis of the message may pass for a login code
        return [ordered]@{ rc = $null; text = 'cannot run the client: ' + ($_.Exception.Message -replace '[()]', '') }
    }
    try {
        # nothing is ever answered to a prompt: a status read must not wait for input
        $process.StandardInput.Close()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill()
            return [ordered]@{ rc = $null; text = "the client did not answer within $TimeoutSeconds seconds" }
        }
        $process.WaitForExit()
        $text = (@($stdout.Result, $stderr.Result) | Where-Object { $_ } | ForEach-Object { $_.Trim() }) -join "`n"
        return [ordered]@{ rc = $process.ExitCode; text = $text }
    }
    finally {
        $process.Dispose()
    }
}

$uninstall = Read-MachineKey -RelativePath $UninstallKey -ValueNames @('DisplayVersion', 'DisplayName', 'UninstallString', 'InstallLocation')
$settings = Read-MachineKey -RelativePath $SettingsKey -ValueNames @('InstallDirectory', 'DeviceIdentificationID')

# InstallDirectory is authoritative (Comet docs, appendix); then the Uninstall key's InstallLocation; then the role's
# comet_client_windows_install_dir.
$installDir = @(
    $(if ($settings) { $settings.InstallDirectory }),
    $(if ($uninstall) { $uninstall.InstallLocation }),
    $InstallDirHint
) | Where-Object { $_ } | Select-Object -First 1
$installDir = if ($installDir) { ([string]$installDir).Trim().Trim('"').TrimEnd('\') } else { '' }
$toolPath = if ($installDir) { Join-Path -Path $installDir -ChildPath $BackupToolExe } else { '' }
$toolExists = [bool]($toolPath -and (Test-Path -LiteralPath $toolPath -PathType Leaf))

# Just after an installation or a login the client may still be connecting: read again while it says so.
$loginStatus = $null
if ($toolExists) {
    $deadline = (Get-Date).AddSeconds($WaitLoginSeconds)
    while ($true) {
        $loginStatus = Invoke-BackupTool -Exe $toolPath -Arguments @('login', 'status')
        $codes = [regex]::Matches([string]$loginStatus.text, $LoginCodePattern)
        $code = if ($codes.Count -gt 0) { [int]$codes[$codes.Count - 1].Groups[1].Value } else { $null }
        if ($null -eq $code -or $TransientLoginCodes -notcontains $code -or (Get-Date) -ge $deadline) { break }
        Start-Sleep -Seconds 2
    }
}

$services = @(foreach ($name in $ServiceNames) {
        $service = Get-Service -Name $name -ErrorAction SilentlyContinue
        if ($null -eq $service) {
            [ordered]@{ name = $name; exists = $false; start_type = ''; status = '' }
            continue
        }
        $startType = [string]$service.StartType
        # Get-Service (5.1) reports a delayed automatic start as Automatic: the service's key tells them apart
        $serviceKey = "HKLM:\SYSTEM\CurrentControlSet\Services\$name"
        $delayed = (Get-ItemProperty -LiteralPath $serviceKey -Name 'DelayedAutostart' -ErrorAction SilentlyContinue).DelayedAutostart
        if ($startType -eq 'Automatic' -and $delayed -eq 1) { $startType = 'AutomaticDelayedStart' }
        [ordered]@{ name = $name; exists = $true; start_type = $startType; status = [string]$service.Status }
    })

# The usual pending-reboot indicators (Component Based Servicing, Windows Update, file renames at boot).
$renames = (Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -Name 'PendingFileRenameOperations' -ErrorAction SilentlyContinue).PendingFileRenameOperations
$rebootPending = [ordered]@{
    component_based_servicing = Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'
    windows_update = Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired'
    pending_file_rename = [bool]($renames | Where-Object { $_ })
}

$Ansible.Result = [ordered]@{
    uninstall_key = $uninstall
    settings_key = $settings
    install_dir = $installDir
    backup_tool = [ordered]@{ path = $toolPath; exists = $toolExists }
    login_status = $loginStatus
    services = $services
    reboot_pending = $rebootPending
    os_version = [System.Environment]::OSVersion.Version.ToString()
}
