import { firstExpressible, windowsEsp, windowsIke } from "./algorithms";
import { ClientProfile } from "./profile";

/**
 * A PowerShell script for Windows' built-in IKEv2 client: Add-VpnConnection, then Set-VpnConnectionIPsecConfiguration
 * with the first gateway proposals Windows can name (without it Windows proposes its defaults, modp1024 among them),
 * then one Add-VpnConnectionRoute per split-tunnel network. Windows' IKEv2 client has no PSK method.
 */

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

export interface WindowsPlan {
  readonly ike: NonNullable<ReturnType<typeof windowsIke>>;
  readonly esp: NonNullable<ReturnType<typeof windowsEsp>>;
}

export function windowsPlan(p: Pick<ClientProfile, "auth" | "ike" | "esp">): WindowsPlan | string {
  if (p.auth === "psk") return "Windows' IKEv2 client (Add-VpnConnection) has no pre-shared key method";
  const ike = firstExpressible(p.ike, windowsIke);
  if (!ike) return "no IKE proposal Set-VpnConnectionIPsecConfiguration can express (AES-CBC/GCM, SHA1/256/384, Group2/14/24 or ECP256/384)";
  const esp = firstExpressible(p.esp, windowsEsp);
  if (!esp) return "no ESP proposal Set-VpnConnectionIPsecConfiguration can express";
  return { ike: ike.value, esp: esp.value };
}

export function renderWindowsScript(p: ClientProfile): string {
  const plan = windowsPlan(p);
  if (typeof plan === "string") throw new Error(`${p.gateway}/${p.connection}: ${plan}`);
  const name = `${p.connection} (${p.gateway})`;
  const method = p.auth === "eap-mschapv2" ? "Eap" : "MachineCertificate";
  const lines = [`# stage2: IKEv2 VPN ${name} for ${p.user}. Run in an elevated PowerShell.`, `$ErrorActionPreference = 'Stop'`, `$Name = ${q(name)}`];
  if (p.trust?.kind === "ca")
    lines.push(`Import-Certificate -FilePath (Join-Path $PSScriptRoot ${q(`${p.connection}-ca.cer`)}) -CertStoreLocation Cert:\\LocalMachine\\Root | Out-Null`);
  lines.push(
    `Add-VpnConnection -Name $Name -ServerAddress ${q(p.dialAddress)} -TunnelType Ikev2 -AuthenticationMethod ${method} -EncryptionLevel Required${p.routes.includes("0.0.0.0/0") ? "" : " -SplitTunneling"} -Force`,
    `Set-VpnConnectionIPsecConfiguration -ConnectionName $Name -AuthenticationTransformConstants ${plan.esp.AuthenticationTransformConstants} -CipherTransformConstants ${plan.esp.CipherTransformConstants} -EncryptionMethod ${plan.ike.EncryptionMethod} -IntegrityCheckMethod ${plan.ike.IntegrityCheckMethod} -DHGroup ${plan.ike.DHGroup} -PfsGroup ${plan.esp.PfsGroup} -Force`,
    ...p.routes.filter((r) => r !== "0.0.0.0/0").map((r) => `Add-VpnConnectionRoute -ConnectionName $Name -DestinationPrefix ${q(r)}`),
  );
  return `${lines.join("\r\n")}\r\n`;
}
