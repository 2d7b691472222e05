import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { cpioArchive } from "../../lab/kernel/cpio";
import { KERNEL_LAB_DIFFERENCES, formatDifferences } from "../../lab/kernel/differences";
import { renderInit, renderScriptInit } from "../../lab/kernel/init-script";
import { loadOrder, moduleName } from "../../lab/kernel/modules";
import { containerRoot, renderContainerRoot, renderContainerStart } from "../../lab/kernel/containers";
import { concurrencyLimit } from "../../doctor/shell-limit";
import { labTopology } from "../../lab/topology";
import { loadStackGateways } from "../../lab/stack";
import { STACKS_DIR } from "../../stacks/load";
import { kernelCmdline, pickMgmtNet, qemuArgs } from "../../lab/kernel/qemu";
import { renderVmTopology } from "../../lab/kernel/topology";
import { counterOf, renderObserveTable } from "../../lab/kernel/checks";
import { labLayout } from "../../lab/layout";
import { loadLabStack, LAB_STACK_FILE } from "../../lab/stack";

describe("kernel lab: pure parts", () => {
  it("writes cpio newc records: header, name padded to 4, data padded to 4, trailer", () => {
    const buf = cpioArchive([{ kind: "file", path: "/init", data: Buffer.from("ab"), mode: 0o755 }]);
    const text = buf.toString("latin1");
    assert.strictEqual(text.slice(0, 6), "070701");
    // ino 1, mode 0100755, uid 0, gid 0, nlink 1, mtime 0, size 2, dev 0/0, rdev 0/0, namesize 5 ("init\0"), check 0
    assert.strictEqual(
      text.slice(6, 110),
      [
        "00000001",
        "000081ed",
        "00000000",
        "00000000",
        "00000001",
        "00000000",
        "00000002",
        "00000000",
        "00000000",
        "00000000",
        "00000000",
        "00000005",
        "00000000",
      ].join(""),
    );
    assert.strictEqual(text.slice(110, 116), "init\0\0"); // 110 + 5 = 115 → padded to 116
    assert.strictEqual(text.slice(116, 120), "ab\0\0");
    assert.strictEqual(text.slice(120, 126), "070701");
    assert.ok(text.includes("TRAILER!!!\0"));
    assert.strictEqual(buf.length % 4, 0);
    assert.throws(() => cpioArchive([{ kind: "dir", path: "a/../b" }]), /bad path/);
  });

  it("orders modules dependencies first, each once, from modules.dep", () => {
    const dep = [
      "kernel/fs/netfs/netfs.ko:",
      "kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko",
      "kernel/net/9p/9pnet.ko:",
      "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko",
      "kernel/drivers/virtio/virtio_ring.ko:",
      "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko",
      "kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
    ].join("\n");
    assert.deepStrictEqual(loadOrder(dep, ["9p", "9pnet-virtio"]), [
      "kernel/fs/netfs/netfs.ko",
      "kernel/fs/fscache/fscache.ko",
      "kernel/net/9p/9pnet.ko",
      "kernel/fs/9p/9p.ko",
      "kernel/drivers/virtio/virtio_ring.ko",
      "kernel/drivers/virtio/virtio.ko",
      "kernel/net/9p/9pnet_virtio.ko",
    ]);
    assert.strictEqual(moduleName("kernel/x/nf-tables.ko.xz"), "nf_tables");
    assert.throws(() => loadOrder(dep, ["overlay"]), /module overlay \(needed by the initramfs\) is not in modules.dep/);
  });

  it("init mounts the machine's root read-only under a tmpfs layer and switches root per mode", () => {
    const init = renderInit({
      modules: ["v/kernel/fs/9p/9p.ko"],
      mode: "systemd",
      mgmt: { name: "mgmt0", address: "172.31.254.15/24" },
      scriptInit: "/opt/x",
    }).split("\n");
    assert.ok(init.includes('for m in v/kernel/fs/9p/9p.ko; do insmod /lib/modules/$m || fail "insmod $m"; done'));
    assert.ok(init.includes("mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /lower || fail 'mount hostroot'"));
    assert.ok(init.includes("mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work root /newroot || fail 'mount overlay'"));
    assert.ok(init.includes("ip link set dev eth0 name mgmt0 && ip addr add 172.31.254.15/24 dev mgmt0 && ip link set mgmt0 up || fail mgmt"));
    assert.strictEqual(init[init.length - 2], "exec switch_root /newroot /sbin/init");
    const script = renderInit({ modules: [], mode: "script", scriptInit: "/opt/x/pid1.sh" }).split("\n");
    assert.strictEqual(script[script.length - 2], "exec switch_root /newroot /bin/busybox sh /opt/x/pid1.sh");
    assert.ok(!script.some((l) => l.includes("mgmt")));
    assert.ok(renderScriptInit("/opt/x/run.sh").includes("/bin/bash /opt/x/run.sh </dev/null 2>&1; rc=$?\n"));
  });

  it("qemu: TCG, root shared read-only, user networking restricted with one forward from 127.0.0.1", () => {
    const mgmt = pickMgmtNet(["10.0.0.0/16"]);
    const args = qemuArgs({
      kernel: "/boot/k",
      initrd: "/r/i",
      mode: "systemd",
      shareDir: "/r/share",
      pidFile: "/r/pid",
      cpus: 2,
      memoryMiB: 1024,
      sshPort: 40022,
      mgmt,
    });
    const netdevs = args.filter((_, i) => args[i - 1] === "-netdev");
    assert.deepStrictEqual(netdevs, ["user,id=mgmt,restrict=on,ipv6=off,net=172.31.254.0/24,hostfwd=tcp:127.0.0.1:40022-:22"]);
    assert.ok(args.includes("local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"));
    assert.ok(args.includes("tcg,thread=multi") && args.includes("-nodefaults"));
    const script = qemuArgs({ kernel: "/boot/k", initrd: "/r/i", mode: "script", shareDir: "/r/share", pidFile: "/r/pid", cpus: 2, memoryMiB: 512 });
    assert.ok(!script.includes("-netdev") && !script.includes("-device"), "script mode has no network device at all");
    assert.strictEqual(kernelCmdline("script"), "console=ttyS0 panic=-1 loglevel=4 net.ifnames=0 stage2.mode=script");
    assert.deepStrictEqual(pickMgmtNet(["172.16.0.0/12"]), { net: "192.168.254.0/24", address: "192.168.254.15/24", hostAlias: "192.168.254.2" });
  });

  it("builds the lab stack's topology in the VM with the gateway as the root namespace", () => {
    const layout = labLayout(loadLabStack(LAB_STACK_FILE).gateways[0], "kl");
    const script = renderVmTopology(layout).split("\n");
    assert.ok(script.includes("link add name to-gw netns kl-internet type veth peer name eth0"), "gw's end of the link stays in the VM's root namespace");
    assert.ok(script.includes(`link add name ${layout.privateInterface} type veth peer name eth0 netns kl-node`));
    assert.ok(!script.some((l) => l.includes("ip netns add kl-gw")), "no namespace for the gateway");
    assert.ok(script.includes(`addr add ${layout.addrs.gwPublic}/32 dev ${layout.publicInterface}`));
    assert.ok(!script.some((l) => l.includes(layout.addrs.floatingIp) && l.startsWith("addr add")), "the floating IP is the converge's job");
  });

  it("builds a whole stack's topology in the VM with each gateway in a bare namespace for its container", () => {
    const t = labTopology(loadStackGateways(path.join(STACKS_DIR, "Pulumi.prod.yaml")), "ks", "xfrm");
    const script = renderVmTopology(t, "container").split("\n");
    for (const g of t.gateways) {
      const host = t.hosts.find((h) => h.role === g.role)!;
      assert.ok(script.includes(`ip netns add ${host.ns}`), `${g.name}: a network namespace for its container`);
      assert.ok(!script.some((l) => l.includes(`mnt/${g.role}`)), `${g.name}: no lab mount namespace (the container has its own root)`);
      assert.ok(script.includes(`ip -n ${host.ns} -batch - <<'EOF'`));
      assert.ok(script.includes(`addr add ${g.publicAddr}/32 dev ${g.publicInterface}`));
      assert.ok(!script.some((l) => l.startsWith("addr add") && l.includes(" dev lo")), "XFRM needs no selector sources on lo");
      assert.ok(!script.some((l) => l.includes(`nsenter --net=/run/netns/${host.ns} -- sysctl`)), "forwarding is the converge's");
    }
    const sw = t.hosts.find((h) => h.bridge)!;
    assert.ok(script.includes("link add br0 type bridge") && script.includes(`link set ${sw.bridge![0]} master br0`), "the private network's switch");
    assert.ok(!renderVmTopology(t, "container").includes("ip -batch - <<'EOF'\naddr"), "nothing is configured in the VM's own namespace");
  });

  it("boots a gateway container with its own systemd, network namespace, /tmp and CAP_NET_ADMIN, its gateway units unmasked", () => {
    const root = renderContainerRoot("gw-a", ["strongswan.service", "bird.service"]);
    assert.ok(root.includes(`mount -t overlay stage2-gw -o lowerdir=/run/stage2-kernel-lab/lower,upperdir=/run/stage2-kernel-lab/containers/gw-a/up,`));
    assert.ok(root.includes(`f=${containerRoot("gw-a")}/etc/systemd/system/strongswan.service; [ "$(readlink "$f")" != /dev/null ] || rm "$f"`));
    assert.ok(
      root.includes(
        `for g in ${containerRoot("gw-a")}/lib/systemd/system-generators/* ${containerRoot("gw-a")}/usr/lib/systemd/system-generators/*; do if [ -e "$g" ]; then ln -sfn /dev/null ${containerRoot("gw-a")}/etc/systemd/system-generators/"\${g##*/}"; fi; done`,
      ),
      "every generator masked in the container's own layer",
    );
    assert.ok(root.includes("modprobe -a esp4 xfrm_user") && root.includes(" wireguard ") && root.includes(" nf_tables "));
    const start = renderContainerStart("gw-a", "ks-gw-a", "gw-a");
    assert.ok(start.includes("--setenv=SYSTEMD_NSPAWN_API_VFS_WRITABLE=network"));
    assert.ok(start.includes("--boot --register=no"));
    assert.ok(start.includes("--tmpfs=/tmp --tmpfs=/var/tmp"));
    assert.ok(start.includes(`--capability=CAP_NET_ADMIN --directory=${containerRoot("gw-a")} --network-namespace-path=/run/netns/ks-gw-a --machine=gw-a`));
    assert.ok(start.includes("ino=$(stat -L -c %i /run/netns/ks-gw-a)"), "its systemd is found by network namespace");
  });

  it("runs at most N commands at once over the management connection, in order of arrival", async () => {
    const limit = concurrencyLimit(2);
    let now = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        limit(async () => {
          peak = Math.max(peak, ++now);
          await new Promise((r) => setTimeout(r, 5));
          order.push(i);
          now--;
        }),
      ),
    );
    assert.strictEqual(peak, 2);
    assert.deepStrictEqual(order, [0, 1, 2, 3, 4]);
    await assert.rejects(
      limit(() => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.strictEqual(await limit(async () => "freed"), "freed", "a failed command frees its place");
  });

  it("counts packets by rule comment in nft's JSON", () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: {} },
        { rule: { comment: "other", expr: [{ counter: { packets: 9, bytes: 1 } }] } },
        { rule: { comment: "stage2: pool without ipsec", expr: [{ match: {} }, { counter: { packets: 4, bytes: 336 } }, { drop: null }] } },
      ],
    });
    assert.strictEqual(counterOf(json, "stage2: pool without ipsec"), 4);
    assert.strictEqual(counterOf(json, "absent"), undefined);
    assert.ok(renderObserveTable("10.3.0.0/24").includes('\t\tmeta ipsec exists ip saddr 10.3.0.0/24 counter comment "lab: decrypted from the pool"\n'));
  });

  it("lists every difference from production in one place", () => {
    const whats = KERNEL_LAB_DIFFERENCES.map((d) => d.what);
    assert.deepStrictEqual(whats, [
      "machine",
      "SSH path",
      "management link",
      "host key",
      "sshd",
      "masked units",
      "network around the gateway",
      "peers",
      "packages",
      "stack",
      "conntrack",
      "crypto modules",
      "observation",
      "several gateways",
      "whole-stack secrets",
    ]);
    assert.ok(formatDifferences().includes("  - stack: stacks/Pulumi.lab.yaml with ipsec.dataplane = xfrm"));
    const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "kernel-lab.md"), "utf8");
    for (const d of KERNEL_LAB_DIFFERENCES)
      assert.ok(doc.includes(`- **${d.what}** — lab: ${d.lab}. Production: ${d.production}.`), `docs/kernel-lab.md lacks the difference "${d.what}"`);
  });
});
