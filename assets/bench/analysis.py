"""What the benchmark's proxy logs say: operation names, the critical path of a scan, the
minimum number of requests it needs, and the table bench.py prints.

The dependency model is the scan's data dependencies, not firebreak's code: a regional listing
needs the region list and (for owner filters) the account id, which can be asked at the same
time; a listing's pages follow each other; an item's follow-up reads need its page; a few
follow-ups need another follow-up (an EventBridge rule's targets need the bus's rules; a key's
last use needs the user's keys).
"""
import math
import re
import statistics

# REST APIs name the operation by method and path; query and JSON APIs by name.
REST = [
    (r"GET /[\d-]+/functions/?$", "ListFunctions"),
    (r"GET /[\d-]+/functions/[^/]+/policy$", "GetPolicy"),
    (r"GET /[\d-]+/functions/[^/]+/concurrency$", "GetFunctionConcurrency"),
    (r"PUT /[\d-]+/functions/[^/]+/concurrency$", "PutFunctionConcurrency"),
    (r"GET /[\d-]+/functions/[^/]+/url$", "GetFunctionUrlConfig"),
    (r"GET /[\d-]+/functions/[^/]+/aliases$", "ListAliases"),
    (r"GET /[\d-]+/functions/[^/]+/versions$", "ListVersionsByFunction"),
    (r"GET /[\d-]+/functions/[^/]+$", "GetFunction"),
    (r"GET /[\d-]+/tags/.+$", "ListTags"),
    (r"GET /detector$", "ListDetectors"),
    (r"GET /detector/[^/]+$", "GetDetector"),
    (r"GET /apikeys$", "GetApiKeys"),
]

# A listing: its page size (the most AWS returns) and the report's inventory key that counts
# its items (None: not counted there; its observed pages are taken as the minimum).
LISTINGS = {
    "ListFunctions": (50, "functions"),
    "DescribeSnapshots": (1000, "snapshots"),
    "DescribeImages": (1000, "images"),
    "DescribeInstances": (1000, "instances"),
    "DescribeSecurityGroupRules": (1000, None),
    "DescribeIamInstanceProfileAssociations": (1000, None),
    "DescribeTrails": (None, None),
    "ListDetectors": (50, None),
    "ListEventBuses": (100, None),
    "GetApiKeys": (500, None),
    "GetAccountAuthorizationDetails": (1000, None),
    "ListBuckets": (10000, "buckets"),
    "DescribeDBInstances": (100, None),
    "DescribeDBClusters": (100, None),
    "DescribeDBSnapshots": (100, "db_snapshots"),
    "DescribeDBClusterSnapshots": (100, None),
    "GetAccountPublicAccessBlock": (None, None),
}
# A follow-up read: the listing it needs and how many reads deep it sits under it.
FOLLOW_UPS = {
    "GetPolicy": ("ListFunctions", 1),
    "GetFunctionConcurrency": ("ListFunctions", 1),
    "GetFunctionUrlConfig": ("ListFunctions", 1),
    "ListAliases": ("ListFunctions", 1),
    "DescribeSnapshotAttribute": ("DescribeSnapshots", 1),
    "DescribeImageAttribute": ("DescribeImages", 1),
    "DescribeSecurityGroups": ("DescribeSecurityGroupRules", 1),
    "GetTrailStatus": ("DescribeTrails", 1),
    "GetEventSelectors": ("DescribeTrails", 1),
    "GetDetector": ("ListDetectors", 1),
    "ListRules": ("ListEventBuses", 1),
    "ListTargetsByRule": ("ListEventBuses", 2),
    "ListAccessKeys": ("GetAccountAuthorizationDetails", 1),
    "GetLoginProfile": ("GetAccountAuthorizationDetails", 1),
    "ListMFADevices": ("GetAccountAuthorizationDetails", 1),
    "GetAccessKeyLastUsed": ("GetAccountAuthorizationDetails", 2),
    "GetBucketPolicy": ("ListBuckets", 1),
    "GetBucketPolicyStatus": ("ListBuckets", 2),
    "GetBucketAcl": ("ListBuckets", 1),
    "GetPublicAccessBlock": ("ListBuckets", 1),
    "GetBucketVersioning": ("ListBuckets", 1),
    "GetObjectLockConfiguration": ("ListBuckets", 1),
    "GetBucketReplication": ("ListBuckets", 1),
    "GetBucketLifecycleConfiguration": ("ListBuckets", 1),
    "GetBucketEncryption": ("ListBuckets", 1),
    "ListObjectsV2": ("ListBuckets", 1),
    "HeadObject": ("ListBuckets", 2),
    "DescribeDBSnapshotAttributes": ("DescribeDBSnapshots", 1),
    "DescribeDBClusterSnapshotAttributes": ("DescribeDBClusterSnapshots", 1),
}
# S3 names a bucket's read by its query's first key (`GET /bucket?policy`).
S3_SUBRESOURCES = {
    "policy": "GetBucketPolicy",
    "policyStatus": "GetBucketPolicyStatus",
    "acl": "GetBucketAcl",
    "publicAccessBlock": "GetPublicAccessBlock",
    "versioning": "GetBucketVersioning",
    "object-lock": "GetObjectLockConfiguration",
    "replication": "GetBucketReplication",
    "lifecycle": "GetBucketLifecycleConfiguration",
    "encryption": "GetBucketEncryption",
    "list-type": "ListObjectsV2",
}
# Asked once per scan before the regional listings, all at the same time.
PREFIX = {"GetCallerIdentity", "ListAccountAliases", "DescribeRegions"}
# AWS's published per-region rates firebreak paces to (src/aws/pace.rs): (per second, burst).
PACED = {
    "GetPolicy": ("lambda GetPolicy", 15, 15),
    "GetFunctionConcurrency": ("lambda control plane", 15, 15),
    "GetFunctionUrlConfig": ("lambda control plane", 15, 15),
    "ListAliases": ("lambda control plane", 15, 15),
    "DescribeSnapshotAttribute": ("ec2 describe", 20, 100),
    "DescribeImageAttribute": ("ec2 describe", 20, 100),
    "DescribeDBSnapshotAttributes": ("rds", 12, 300),
    "DescribeDBClusterSnapshotAttributes": ("rds", 12, 300),
}


def s3_operation(entry):
    """An S3 (or S3 Control) read named from its method, path and query."""
    method = entry["action"].split(" ", 1)[0]
    head = entry.get("target", "").split(" ", 1)[0]
    path, _, query = head.partition("?")
    if path.startswith("/v20180820/configuration/publicAccessBlock"):
        return "GetAccountPublicAccessBlock"
    if path == "/":
        return "ListBuckets"
    if method == "HEAD":
        return "HeadObject"
    key = query.split("&", 1)[0].split("=", 1)[0]
    return S3_SUBRESOURCES.get(key, entry["action"])


def operation(entry):
    action = entry["action"]
    if entry.get("service") == "s3" and " " in action:
        return s3_operation(entry)
    if " " not in action:
        return action
    for pattern, name in REST:
        if re.match(pattern, action):
            return name
    return action


def identity_of(entry):
    """What a follow-up read is about: its path for REST APIs, else its body without the
    action, version and page token."""
    target = entry.get("target", "")
    path, _, body = target.partition(" ")
    if " " in entry["action"]:
        return re.sub(r"[?&]Marker=[^&]*", "", path)
    fields = sorted(f for f in re.split(r"[&,{}]", body)
                    if f and not f.startswith(("Action=", "Version=", "NextToken=")))
    return "&".join(fields)


def items_by_region(report, key):
    counts = {}
    for item in report["inventory"].get(key, []):
        region = item.get("region", "global")
        counts[region] = counts.get(region, 0) + 1
    return counts


def scan_shape(requests, report, latency_ms):
    """The critical path (round trips and seconds), the pacing floor and the minimum number of
    requests of one scan's log."""
    pages, follow_ups, deepest, paced = {}, set(), {}, {}
    unknown = set()
    for entry in requests:
        op, region = operation(entry), entry["region"]
        if op in LISTINGS:
            pages[(region, op)] = pages.get((region, op), 0) + 1
        elif op in FOLLOW_UPS:
            listing, depth = FOLLOW_UPS[op]
            follow_ups.add((region, op, identity_of(entry)))
            deepest[(region, listing)] = max(deepest.get((region, listing), 0), depth)
            if op in PACED:
                family, rate, burst = PACED[op]
                paced[(region, family)] = paced.get((region, family), 0) + 1
        elif op not in PREFIX:
            unknown.add(op)
    minimum_pages = {}
    for (region, op), observed in pages.items():
        size, key = LISTINGS[op]
        if size and key:
            count = items_by_region(report, key).get(region, 0)
            # moto may answer in larger pages than AWS allows: then what it took is the least.
            minimum_pages[(region, op)] = min(observed, max(1, math.ceil(count / size)))
        else:
            minimum_pages[(region, op)] = observed if size else 1
    chains = [minimum_pages[key] + deepest.get(key, 0) for key in minimum_pages]
    rounds = 1 + max(chains, default=0)
    pace_floor = 0.0
    for (region, family), count in paced.items():
        rate, burst = next((r, b) for f, r, b in PACED.values() if f == family)
        pace_floor = max(pace_floor, max(0, count - burst) / rate)
    prefix = sum(1 for e in requests if operation(e) in PREFIX)
    minimum = prefix + sum(minimum_pages.values()) + len(follow_ups)
    return dict(rounds=rounds, critical=rounds * latency_ms / 1000, pace_floor=pace_floor,
                minimum=minimum, unknown=sorted(unknown))


def failed_steps(output):
    """Steps of an executed plan (`act ... --execute --format json`) that did not end ok or
    skipped (already in the wanted state), and the number of steps."""
    results = output["results"]
    failed = sum(1 for r in results if r["outcome"]["status"] not in ("ok", "skipped"))
    return failed, len(results)


def ratio_row(measure, value, target, meets, detail):
    mark = "yes" if meets else "NO"
    return f"| {measure} | {value} | {target} | {mark} | {detail} |"


def table(size, estate, scans, report, boto3_walls, boto3_counts, cli_wall, cli_calls, cli_note,
          tui, cli_one, contained, latency_ms, render=None, memory=None):
    tui_first, tui_alone = tui
    wall = statistics.median(s["wall"] for s in scans)
    median_run = min(scans, key=lambda s: abs(s["wall"] - wall))
    shape = scan_shape(median_run["requests"], report, latency_ms)
    moto_cpu = median_run["moto_cpu"]
    bound = max(shape["critical"], shape["pace_floor"], moto_cpu)
    limit = ("the critical path" if bound == shape["critical"] else
             "AWS's published rates (pacing)" if bound == shape["pace_floor"] else
             "moto's CPU (one Python process)")
    requests = len(median_run["requests"])
    boto3 = statistics.median(boto3_walls)
    lines = [
        f"firebreak benchmarks: {size} estate ({estate['total']} resources over "
        f"{estate['regions']} regions), {latency_ms} ms per request, median of {len(scans)} scans",
        "",
        "| measure | measured | target | met | detail |",
        "|---|---|---|---|---|",
        ratio_row("full scan wall ÷ critical path", f"{wall / bound:.2f}", "≤ 1.5",
                  wall / bound <= 1.5,
                  f"scan {wall:.2f} s; bound {bound:.2f} s set by {limit}: chain "
                  f"{shape['rounds']} round trips = {shape['critical']:.2f} s, pacing "
                  f"{shape['pace_floor']:.2f} s, moto busy {moto_cpu:.2f} s"),
        ratio_row("aws-cli loop wall ÷ firebreak scan wall", f"{cli_wall / wall:.1f}", "≥ 20",
                  cli_wall / wall >= 20,
                  f"aws-cli {cli_wall:.1f} s, {cli_calls} calls"
                  + (f" (extrapolated: {cli_note})" if cli_note else "")),
        ratio_row("boto3 16-thread wall ÷ firebreak scan wall", f"{boto3 / wall:.1f}", "≥ 5",
                  boto3 / wall >= 5,
                  f"boto3 {boto3:.2f} s, {statistics.median(boto3_counts):.0f} requests"),
        ratio_row("requests per scan ÷ minimum", f"{requests / shape['minimum']:.2f}", "≤ 1.1",
                  requests / shape["minimum"] <= 1.1,
                  f"{requests} requests, minimum {shape['minimum']}"
                  + (f"; unclassified: {', '.join(shape['unknown'])}" if shape["unknown"] else "")),
        ratio_row("cockpit first region ÷ one aws-cli call", f"{tui_first / cli_one:.2f}", "≤ 0.5",
                  tui_first / cli_one <= 0.5,
                  f"first region {tui_first:.2f} s ({tui_alone:.2f} s scanning one region "
                  f"alone); aws lambda list-functions {cli_one:.2f} s"),
    ]
    if render:
        lines.append(ratio_row("render 100k rows ÷ 100 rows (120×40)", f"{render['ratio']:.2f}",
                               "≤ 1.5", render["ratio"] <= 1.5, render["detail"]))
    if memory:
        lines.append(ratio_row("peak RSS holding 100k resources", f"{memory['rss']:.0f} MiB",
                               "≤ 150 MB", memory["rss"] * 1.048576 <= 150, memory["detail"]))
    lines.append(ratio_row(
        "peak RSS of this scan", f"{median_run['rss']:.0f} MiB", "(for scale)", True,
        f"{sum(len(v) for v in report['inventory'].values() if isinstance(v, list))} items held"))
    if contained is None:
        lines.append("| contain 1000 functions: sequential ÷ firebreak | not run | ≥ 10 | – | "
                     "BENCH_SKIP_CONTAIN was set |")
        return "\n".join(lines)
    fb, seq = contained["firebreak"], contained["sequential"]
    sampled = (f" (timed on {seq['sample']}, scaled)" if seq["sample"] != seq["functions"]
               else "")
    lines.append(ratio_row(
        f"contain {fb['functions']} functions: sequential ÷ firebreak",
        f"{seq['wall'] / fb['wall']:.1f}", "≥ 10, no failed step",
        seq["wall"] / fb["wall"] >= 10 and fb["failed"] == 0,
        f"firebreak {fb['wall']:.1f} s, {fb['steps']} steps, {fb['failed']} failed, "
        f"{fb['throttled']} throttled answers; sequential {seq['wall']:.1f} s{sampled}, "
        f"{seq['throttled']} throttled answers; {fb['regions']} regions"))
    return "\n".join(lines)
