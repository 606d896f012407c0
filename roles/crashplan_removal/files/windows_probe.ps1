# Read-only probe of a Windows host for unil.backup.crashplan_removal (run by ansible.windows.win_powershell).
# Everything is returned raw; the matching and the plan are computed on the controller by unil.backup.crashplan_facts.
$Ansible.Changed = $false
$ErrorActionPreference = 'Stop'
$uninstallKey = 'Software\Microsoft\Windows\CurrentVersion\Uninstall'
$valueNames = @('DisplayName', 'DisplayVersion', 'Publisher', 'UninstallString', 'QuietUninstallString', 'WindowsInstaller', 'InstallLocation')
$entries = New-Object System.Collections.Generic.List[object]

function Add-UninstallEntry {
    param([string]$Hive, [string]$Path, [string]$Sid, [string]$UserName)
    if (-not (Test-Path -LiteralPath $Path)) { return }
    foreach ($key in Get-ChildItem -LiteralPath $Path -ErrorAction SilentlyContinue) {
        $values = Get-ItemProperty -LiteralPath $key.PSPath -ErrorAction SilentlyContinue
        if ($null -eq $values -or -not $values.DisplayName) { continue }
        # Coarse filter to keep the answer small; the exact rule (Code42-AAT excluded) is applied on the controller.
        if ($values.DisplayName -notmatch 'CrashPlan|Code42') { continue }
        $entry = [ordered]@{ Hive = $Hive; Sid = $Sid; UserName = $UserName; KeyName = $key.PSChildName }
        foreach ($name in $valueNames) {
            $entry[$name] = if ($null -ne $values.$name) { [string]$values.$name } else { '' }
        }
        $entries.Add([pscustomobject]$entry)
    }
}

Add-UninstallEntry -Hive 'HKLM64' -Path "HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall" -Sid '' -UserName ''
Add-UninstallEntry -Hive 'HKLM32' -Path "HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall" -Sid '' -UserName ''

# Every user profile: the loaded hives, and the others loaded read-only for the time of the probe (as CPL does).
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
        Add-UninstallEntry -Hive 'HKU' -Path "Registry::HKEY_USERS\$sid\$uninstallKey" -Sid $sid -UserName $userName
        continue
    }
    $hiveFile = Join-Path $profilePath 'NTUSER.DAT'
    if (-not $profilePath -or -not (Test-Path -LiteralPath $hiveFile)) { continue }
    $mount = "CrashPlanProbe_$sid"
    & reg.exe load "HKU\$mount" "$hiveFile" | Out-Null
    if ($LASTEXITCODE -ne 0) { continue }
    try {
        Add-UninstallEntry -Hive 'HKU' -Path "Registry::HKEY_USERS\$mount\$uninstallKey" -Sid $sid -UserName $userName
    } finally {
        [gc]::Collect()
        [gc]::WaitForPendingFinalizers()
        & reg.exe unload "HKU\$mount" | Out-Null
    }
}

$services = @(Get-Service -Name 'CrashPlanService', 'Code42Service' -ErrorAction SilentlyContinue |
    ForEach-Object { [pscustomobject]@{ Name = $_.Name; Status = [string]$_.Status; StartType = [string]$_.StartType } })
$processes = @(Get-Process -Name 'CrashPlanDesktop', 'CrashPlanTray', 'CrashPlanService', 'Code42Service', 'Code42' -ErrorAction SilentlyContinue |
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

$Ansible.Result = @{
    uninstall_entries = @($entries)
    services = $services
    processes = $processes
    existing_paths = $existing
    config_texts = $configTexts
    identity_text = $identity
}
