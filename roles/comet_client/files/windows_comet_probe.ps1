# Read-only probe of a Windows host for unil.backup.comet_client and unil.backup.crashplan_removal (run by
# ansible.windows.win_powershell, PowerShell 5.1 or later). One round trip: the Comet Backup client, and CrashPlan /
# Code42 (its Uninstall entries in every hive, services, processes, data folders) so that crashplan_removal reuses
# the answer as it reuses host_info's on Linux. Everything is returned raw and normalised on the controller
# (plugins/module_utils/_comet_windows.py, _crashplan.py). The registry key names, service names and login codes are
# parameters, from those same Python files: none is defined here. Nothing secret is read: not the client's stored
# credentials, only `backup-tool.exe login status`, and of CrashPlan's .identity only its guid= and username= lines.
[CmdletBinding()]
param (
    [string]$InstallDirHint = '',
    [Parameter(Mandatory = $true)][string]$UninstallKey,
    [Parameter(Mandatory = $true)][string]$SettingsKey,
    [Parameter(Mandatory = $true)][string]$BackupToolExe,
    [Parameter(Mandatory = $true)][string[]]$ServiceNames,
    [int]$WaitLoginSeconds = 0,
    [int[]]$TransientLoginCodes = @(),
    [Parameter(Mandatory = $true)][string]$LoginCodePattern,
    [string[]]$CrashPlanServiceNames = @(),
    [string[]]$CrashPlanProcessNames = @(),
    [string]$CrashPlanNamePattern = '',
    [string[]]$IdentityValueNames = @(),
    [string]$CryptographyKey = ''
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
# DeviceIdentificationEntropy and DeviceIdentificationHardwareIDOverride: inputs of the device ID (cloned machines)
$settings = Read-MachineKey -RelativePath $SettingsKey -ValueNames (@('InstallDirectory', 'DeviceIdentificationID') +
    $IdentityValueNames)
# What tells imaged machines apart, compared on the controller: the Windows installation's MachineGuid (reported) and
# the hardware UUID (SMBIOS), which cloned virtual machines may share.
$cryptography = if ($CryptographyKey) { Read-MachineKey -RelativePath $CryptographyKey -ValueNames @('MachineGuid') } else { $null }
$productUuid = try { [string](Get-CimInstance -ClassName Win32_ComputerSystemProduct -ErrorAction Stop).UUID } catch { '' }

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

# The installed version as Comet documents it: `backup-tool version` (Comet docs, appendix "Command-line control").
# The Uninstall key's DisplayVersion is not documented (it may be missing, or written with four parts): the controller
# reads it only when this answer holds no version (_comet_windows.installed_version).
$versionOutput = if ($toolExists) { Invoke-BackupTool -Exe $toolPath -Arguments @('version') -TimeoutSeconds 60 } else { $null }

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

# CrashPlan / Code42: the Uninstall entries of both HKLM views and of every user's hive (logged-off profiles loaded
# read-only for the time of the probe), its services, processes and data folders. Only with a name pattern.
function Get-CrashPlanState {
    $uninstallPath = 'Software\Microsoft\Windows\CurrentVersion\Uninstall'
    $valueNames = @('DisplayName', 'DisplayVersion', 'Publisher', 'UninstallString', 'QuietUninstallString', 'WindowsInstaller', 'InstallLocation')
    $entries = New-Object System.Collections.Generic.List[object]

    function Add-UninstallEntry {
        param([string]$Hive, [string]$Path, [string]$Sid, [string]$UserName)
        if (-not (Test-Path -LiteralPath $Path)) { return }
        foreach ($key in Get-ChildItem -LiteralPath $Path -ErrorAction SilentlyContinue) {
            $values = Get-ItemProperty -LiteralPath $key.PSPath -ErrorAction SilentlyContinue
            if ($null -eq $values -or -not $values.DisplayName) { continue }
            # Coarse filter to keep the answer small; the exact rule (Code42-AAT excluded) is applied on the controller.
            if ($values.DisplayName -notmatch $CrashPlanNamePattern) { continue }
            $entry = [ordered]@{ Hive = $Hive; Sid = $Sid; UserName = $UserName; KeyName = $key.PSChildName }
            foreach ($name in $valueNames) {
                $entry[$name] = if ($null -ne $values.$name) { [string]$values.$name } else { '' }
            }
            $entries.Add([pscustomobject]$entry)
        }
    }

    Add-UninstallEntry -Hive 'HKLM64' -Path "HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall" -Sid '' -UserName ''
    Add-UninstallEntry -Hive 'HKLM32' -Path "HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall" -Sid '' -UserName ''

    $profiles = Get-ChildItem -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList' |
        Where-Object { $_.PSChildName -match '^S-1-5-21-[0-9-]+$' }
    $userHomes = @()
    foreach ($profileKey in $profiles) {
        $sid = $profileKey.PSChildName
        $profilePath = (Get-ItemProperty -LiteralPath $profileKey.PSPath).ProfileImagePath
        if ($profilePath) { $userHomes += $profilePath }
        $userName = try {
            (New-Object System.Security.Principal.SecurityIdentifier($sid)).Translate([System.Security.Principal.NTAccount]).Value
        } catch { '' }
        if (Test-Path -LiteralPath "Registry::HKEY_USERS\$sid") {
            Add-UninstallEntry -Hive 'HKU' -Path "Registry::HKEY_USERS\$sid\$uninstallPath" -Sid $sid -UserName $userName
            continue
        }
        $hiveFile = Join-Path $profilePath 'NTUSER.DAT'
        if (-not $profilePath -or -not (Test-Path -LiteralPath $hiveFile)) { continue }
        $mount = "CrashPlanProbe_$sid"
        & reg.exe load "HKU\$mount" "$hiveFile" | Out-Null
        if ($LASTEXITCODE -ne 0) { continue }
        try {
            Add-UninstallEntry -Hive 'HKU' -Path "Registry::HKEY_USERS\$mount\$uninstallPath" -Sid $sid -UserName $userName
        } finally {
            [gc]::Collect()
            [gc]::WaitForPendingFinalizers()
            & reg.exe unload "HKU\$mount" | Out-Null
        }
    }

    $cpServices = @(Get-Service -Name $CrashPlanServiceNames -ErrorAction SilentlyContinue |
        ForEach-Object { [pscustomobject]@{ Name = $_.Name; Status = [string]$_.Status; StartType = [string]$_.StartType } })
    $processes = @(Get-Process -Name $CrashPlanProcessNames -ErrorAction SilentlyContinue |
        ForEach-Object { $_.ProcessName } | Sort-Object -Unique)

    $dataRoot = Join-Path $env:ProgramData 'CrashPlan'
    $candidates = @('log', 'cache', 'backupArchives', '.identity', 'conf') | ForEach-Object { Join-Path $dataRoot $_ }
    $candidates += Join-Path $env:ProgramFiles 'CrashPlan\backupArchives'
    foreach ($userHome in $userHomes) {
        foreach ($sub in 'AppData\Local\CrashPlan', 'AppData\Roaming\CrashPlan') {
            foreach ($leaf in 'log', 'cache', '.identity') { $candidates += Join-Path (Join-Path $userHome $sub) $leaf }
        }
    }
    $configTexts = @()
    $configFile = Join-Path $dataRoot 'conf\my.service.xml'
    if (Test-Path -LiteralPath $configFile) {
        $text = Get-Content -LiteralPath $configFile -Raw
        $configTexts += $text
        foreach ($match in [regex]::Matches($text, '<manifestPath>\s*([^<]+?)\s*</manifestPath>')) { $candidates += $match.Groups[1].Value }
    }
    $existing = @($candidates | Where-Object { Test-Path -LiteralPath $_ })
    $identityFile = Join-Path $dataRoot '.identity'
    # Only the guid= and username= lines leave the host: the rest of .identity may hold key material.
    $identity = if (Test-Path -LiteralPath $identityFile) {
        (Get-Content -LiteralPath $identityFile | Where-Object { $_ -match '^(guid|username)=' }) -join "`n"
    } else { '' }

    return [ordered]@{
        uninstall_entries = @($entries)
        services = $cpServices
        processes = $processes
        existing_paths = $existing
        config_texts = $configTexts
        identity_text = $identity
    }
}

$crashPlan = if ($CrashPlanNamePattern) { Get-CrashPlanState } else { $null }

$Ansible.Result = [ordered]@{
    uninstall_key = $uninstall
    settings_key = $settings
    install_dir = $installDir
    backup_tool = [ordered]@{ path = $toolPath; exists = $toolExists }
    login_status = $loginStatus
    version_output = $versionOutput
    services = $services
    reboot_pending = $rebootPending
    os_version = [System.Environment]::OSVersion.Version.ToString()
    crashplan = $crashPlan
    identity = [ordered]@{
        MachineGuid = $(if ($cryptography) { $cryptography.MachineGuid } else { '' })
        ProductUuid = $productUuid
    }
}
