"""Peer (b): the reads a firebreak scan makes, as a well-written boto3 script would make them.

Usage: boto3_scan.py ENDPOINT_URL

A pool of 16 threads (aws-nuke's default parallelism) runs every listing of every enabled region
and each item's follow-up reads as soon as its listing page is in, using boto3's paginators.
Prints the number of items it read. Credentials come from the environment. It leaves out the one
read of the account's S3 Block Public Access: boto3 puts the account id in S3 Control's host name,
which the emulator's address cannot carry.
"""
import sys
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import boto3
import botocore.config

ENDPOINT = sys.argv[1]
SESSION = boto3.session.Session()


def client(service, region="us-east-1"):
    # Buckets in the path: the emulator's address has no names under it.
    config = botocore.config.Config(s3={"addressing_style": "path"})
    return SESSION.client(service, endpoint_url=ENDPOINT, region_name=region, config=config)


def pages(c, operation, key, **kwargs):
    if c.can_paginate(operation):
        for page in c.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(c, operation)(**kwargs).get(key, [])


def quietly(call, **kwargs):
    """A follow-up read whose 'not found' answer means 'none'."""
    try:
        return call(**kwargs)
    except Exception as error:  # botocore's ClientError: the code is what matters
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        if "NotFound" in code or code.startswith("NoSuch"):
            return None
        raise


CENSUS_OBJECTS, CENSUS_SAMPLED = 1000, 3


def bucket_reads(s3, name):
    """A bucket's settings, its policy's status when it has a policy, and its census."""
    follow = [(quietly, dict(call=call, Bucket=name))
              for call in (s3.get_bucket_acl, s3.get_public_access_block, s3.get_bucket_versioning,
                           s3.get_object_lock_configuration, s3.get_bucket_replication,
                           s3.get_bucket_lifecycle_configuration, s3.get_bucket_encryption)]
    def policy():
        if quietly(s3.get_bucket_policy, Bucket=name) is None:
            return []
        return [(quietly, dict(call=s3.get_bucket_policy_status, Bucket=name))]
    def census():
        listed = s3.list_objects_v2(Bucket=name, MaxKeys=CENSUS_OBJECTS).get("Contents", [])
        return [(quietly, dict(call=s3.head_object, Bucket=name, Key=o["Key"]))
                for o in listed[:CENSUS_SAMPLED]]
    return follow + [(policy, {}), (census, {})]


def region_listings(c, account, region):
    lam, ec2, trail, guard, events, apigw, s3, rds = (
        c["lambda"], c["ec2"], c["cloudtrail"], c["guardduty"], c["events"], c["apigateway"],
        c["s3"], c["rds"])
    def functions():
        return [(quietly, dict(call=call, FunctionName=f["FunctionName"]))
                for f in pages(lam, "list_functions", "Functions")
                for call in (lam.get_policy, lam.get_function_concurrency,
                             lam.get_function_url_config)]
    def snapshots():
        return [(quietly, dict(call=ec2.describe_snapshot_attribute, SnapshotId=s["SnapshotId"],
                               Attribute="createVolumePermission"))
                for s in pages(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"],
                               Filters=[{"Name": "owner-id", "Values": [account]}])]
    def images():
        return [(quietly, dict(call=ec2.describe_image_attribute, ImageId=i["ImageId"],
                               Attribute="launchPermission"))
                for i in pages(ec2, "describe_images", "Images", Owners=["self"])]
    def instances():
        list(pages(ec2, "describe_instances", "Reservations"))
        return []
    def security_groups():
        list(pages(ec2, "describe_security_group_rules", "SecurityGroupRules"))
        return []
    def associations():
        list(pages(ec2, "describe_iam_instance_profile_associations", "IamInstanceProfileAssociations"))
        return []
    def trails():
        return [(quietly, dict(call=call, **{arg: t["TrailARN"]}))
                for t in trail.describe_trails()["trailList"]
                for call, arg in ((trail.get_trail_status, "Name"),
                                  (trail.get_event_selectors, "TrailName"))]
    def detectors():
        return [(quietly, dict(call=guard.get_detector, DetectorId=d))
                for d in pages(guard, "list_detectors", "DetectorIds")]
    def rules():
        def targets(bus):
            return [(quietly, dict(call=events.list_targets_by_rule, EventBusName=bus,
                                   Rule=r["Name"]))
                    for r in events.list_rules(EventBusName=bus)["Rules"]]
        return [(targets, dict(bus=b["Name"])) for b in events.list_event_buses()["EventBuses"]]
    def api_keys():
        list(pages(apigw, "get_api_keys", "items"))
        return []
    def buckets():
        return [(bucket_reads, dict(s3=s3, name=b["Name"]))
                for b in pages(s3, "list_buckets", "Buckets", BucketRegion=region,
                               MaxBuckets=10000)]
    def db_instances():
        list(pages(rds, "describe_db_instances", "DBInstances"))
        return []
    def db_clusters():
        list(pages(rds, "describe_db_clusters", "DBClusters"))
        return []
    def db_snapshots():
        return [(quietly, dict(call=rds.describe_db_snapshot_attributes,
                               DBSnapshotIdentifier=s["DBSnapshotIdentifier"]))
                for s in pages(rds, "describe_db_snapshots", "DBSnapshots", SnapshotType="manual")]
    def db_cluster_snapshots():
        return [(quietly, dict(call=rds.describe_db_cluster_snapshot_attributes,
                               DBClusterSnapshotIdentifier=s["DBClusterSnapshotIdentifier"]))
                for s in pages(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots",
                               SnapshotType="manual")]
    return [functions, snapshots, images, instances, security_groups, associations, trails,
            detectors, rules, api_keys, buckets, db_instances, db_clusters, db_snapshots,
            db_cluster_snapshots]


def iam_listing(iam):
    follow = []
    for user in pages(iam, "get_account_authorization_details", "UserDetailList",
                      Filter=["User", "Role"]):
        name = user["UserName"]
        follow.append((lambda n=name: [
            (quietly, dict(call=iam.get_access_key_last_used, AccessKeyId=k["AccessKeyId"]))
            for k in iam.list_access_keys(UserName=n)["AccessKeyMetadata"]], {}))
        follow.append((quietly, dict(call=iam.get_login_profile, UserName=name)))
        follow.append((quietly, dict(call=iam.list_mfa_devices, UserName=name)))
    return follow


def main():
    sts = client("sts")
    account = sts.get_caller_identity()["Account"]
    ec2 = client("ec2")
    regions = [r["RegionName"] for r in ec2.describe_regions(AllRegions=True)["Regions"]
               if r["OptInStatus"] != "not-opted-in"]
    iam = client("iam")
    iam.list_account_aliases()
    services = ["lambda", "ec2", "cloudtrail", "guardduty", "events", "apigateway", "s3", "rds"]
    clients = {r: {s: client(s, r) for s in services} for r in regions}
    items = 0
    with ThreadPoolExecutor(16) as pool:
        pending = {pool.submit(iam_listing, iam)}
        for region in regions:
            pending |= {pool.submit(job) for job in region_listings(clients[region], account, region)}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                if isinstance(result, list):
                    items += len(result)
                    pending |= {pool.submit(call, **kwargs) for call, kwargs in result}
    print(f"boto3 peer: {len(regions)} regions, {items} follow-up reads")


main()
