#!powershell

# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# Read-only probe of a Windows host for unil.backup.comet_client and unil.backup.crashplan_removal (documentation:
# comet_windows_probe.py). One round trip: the Comet Backup client, CrashPlan / Code42 (its Uninstall entries in every
# hive, services, processes, data folders) so that crashplan_removal reuses the answer as it reuses host_info's on
# Linux, the OS architecture, and on request the facts the roles decide on. Everything is returned raw and normalised
# on the controller (plugins/module_utils/_comet_windows.py, _crashplan.py). The registry key names, service names
# and login codes are options, from those same Python files (filter unil.backup.comet_client_windows_probe_params):
# none is defined here. Nothing secret is read: not the client's stored credentials, only
# `backup-tool.exe login status`, and of CrashPlan's .identity only its guid= and username= lines.

$spec = @{
    options = @{
        install_dir_hint = @{ type = 'str'; default = '' }
        uninstall_key = @{ type = 'str'; required = $true }
        settings_key = @{ type = 'str'; required = $true }
        backup_tool_exe = @{ type = 'str'; required = $true }
        service_names = @{ type = 'list'; elements = 'str'; required = $true }
        wait_login_seconds = @{ type = 'int'; default = 0 }
        transient_login_codes = @{ type = 'list'; elements = 'int'; default = @() }
        login_code_pattern = @{ type = 'str'; required = $true }
        crashplan_service_names = @{ type = 'list'; elements = 'str'; default = @() }
        crashplan_process_names = @{ type = 'list'; elements = 'str'; default = @() }
        crashplan_name_pattern = @{ type = 'str'; default = '' }
        identity_value_names = @{ type = 'list'; elements = 'str'; default = @() }
        cryptography_key = @{ type = 'str'; default = '' }
        gather_facts = @{ type = 'bool'; default = $false }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$InstallDirHint = $module.Params.install_dir_hint
$UninstallKey = $module.Params.uninstall_key
$SettingsKey = $module.Params.settings_key
$BackupToolExe = $module.Params.backup_tool_exe
$ServiceNames = @($module.Params.service_names)
$WaitLoginSeconds = $module.Params.wait_login_seconds
$TransientLoginCodes = @($module.Params.transient_login_codes)
$LoginCodePattern = $module.Params.login_code_pattern
$CrashPlanServiceNames = @($module.Params.crashplan_service_names)
$CrashPlanProcessNames = @($module.Params.crashplan_process_names)
$CrashPlanNamePattern = $module.Params.crashplan_name_pattern
$IdentityValueNames = @($module.Params.identity_value_names)
$CryptographyKey = $module.Params.cryptography_key

if ($WaitLoginSeconds -lt 0) {
    $module.FailJson("wait_login_seconds must be 0 or more, got $WaitLoginSeconds")
}

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

# The OS architecture, not that of this PowerShell: a 32-bit PowerShell on a 64-bit Windows sees x86 in
# PROCESSOR_ARCHITECTURE and the native one in PROCESSOR_ARCHITEW6432. A 32-bit Windows gets the x86 client.
$nativeArchitecture = if ($env:PROCESSOR_ARCHITEW6432) { $env:PROCESSOR_ARCHITEW6432 } else { $env:PROCESSOR_ARCHITECTURE }

$module.Result.changed = $false
$module.Result.uninstall_key = $uninstall
$module.Result.settings_key = $settings
$module.Result.install_dir = $installDir
$module.Result.backup_tool = [ordered]@{ path = $toolPath; exists = $toolExists }
$module.Result.login_status = $loginStatus
$module.Result.version_output = $versionOutput
$module.Result.services = $services
$module.Result.reboot_pending = $rebootPending
$module.Result.os_version = [System.Environment]::OSVersion.Version.ToString()
$module.Result.os_architecture = [ordered]@{
    processor_architecture = [string]$nativeArchitecture
    is_64bit_os = [System.Environment]::Is64BitOperatingSystem
}
$module.Result.crashplan = $crashPlan
$module.Result.identity = [ordered]@{
    MachineGuid = $(if ($cryptography) { $cryptography.MachineGuid } else { '' })
    ProductUuid = $productUuid
}

# The facts the roles decide on, under the names and in the forms ansible.windows.setup's min subset gives them
# (its distribution and platform subsets), so that a play without facts reads the host once.
if ($module.Params.gather_facts) {
    $osVersion = [System.Environment]::OSVersion
    # localized values, as setup returns them; $null where CIM cannot be read (setup: not an administrator)
    $win32OS = $null
    try {
        $win32OS = Get-CimInstance -ClassName Win32_OperatingSystem -Property @('Caption', 'OSArchitecture') -ErrorAction Stop
    }
    catch {
        $win32OS = $null
    }
    $ipProps = [System.Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties()
    $fqdn = if ($ipProps.DomainName) { "$($ipProps.HostName).$($ipProps.DomainName)" } else { $ipProps.HostName }
    $module.Result.ansible_facts = @{
        ansible_system = $osVersion.Platform.ToString()
        ansible_os_family = 'Windows'
        ansible_hostname = $ipProps.HostName
        ansible_fqdn = $fqdn
        ansible_nodename = $fqdn
        ansible_kernel = $osVersion.Version.ToString()
        ansible_distribution = $(if ($win32OS) { [string]$win32OS.Caption } else { $null })
        ansible_distribution_version = $osVersion.Version.ToString()
        ansible_distribution_major_version = $osVersion.Version.Major.ToString()
        ansible_architecture = $(if ($win32OS) { [string]$win32OS.OSArchitecture } else { $null })
    }
}

$module.ExitJson()
