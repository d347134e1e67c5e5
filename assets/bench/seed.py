"""Fills a moto server with a sized estate through boto3, spread over every enabled region.

Usage: seed.py ENDPOINT_URL small|large
       seed.py ENDPOINT_URL contain FUNCTIONS

small is about 500 resources, large about 20,000: IAM users with a key each and roles
(global), and in each region Lambda functions (every 20th with a public resource policy),
EBS snapshots (every 4th shared with another account, every 25th public), AMIs (every 10th
shared), instances, S3 buckets with a few objects each (every 4th bucket's policy public,
every 3rd versioned) and RDS DB instances with a manual snapshot each (every 3rd shared with
another account). `contain` seeds only FUNCTIONS functions, round-robin over the regions.
Prints one JSON line with the counts seeded.
"""
import io
import json
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor

import boto3

ENDPOINT = sys.argv[1]
SIZE = sys.argv[2]
# Per region: functions, snapshots, images, instances. Global: users (one key each), roles.
SIZES = {
    "small": dict(users=40, roles=20, functions=4, snapshots=8, images=1, instances=2, buckets=1,
                  objects=3, databases=1),
    "large": dict(users=1000, roles=500, functions=200, snapshots=300, images=40, instances=200,
                  buckets=8, objects=20, databases=10),
}
OTHER_ACCOUNT = "210987654321"
SESSION = boto3.session.Session(aws_access_key_id="AKIAFIREBREAKBENCH",
                                aws_secret_access_key="bench")
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
     "Action": "sts:AssumeRole"}]})


def client(service, region="us-east-1"):
    return SESSION.client(service, endpoint_url=ENDPOINT, region_name=region)


def code_package():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


CODE = code_package()


def functions(lam, role, names, public_every=20):
    for n, name in enumerate(names):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                            Handler="index.handler", Code={"ZipFile": CODE})
        if public_every and n % public_every == public_every - 1:
            lam.add_permission(FunctionName=name, StatementId="open", Action="lambda:InvokeFunction",
                               Principal="*")


def buckets(s3, region, count, objects):
    for n in range(count):
        name = f"bench-{region}-{n:03d}"
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        if n % 3 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if (sum(region.encode()) + n) % 4 == 0:
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{name}/*"}]}))
        for k in range(objects):
            s3.put_object(Bucket=name, Key=f"data/{k:04d}.csv", Body=b"x" * 64)


def databases(rds, count):
    for n in range(count):
        name = f"db-{n:03d}"
        rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro",
                               Engine="postgres", AllocatedStorage=20, MasterUsername="bench",
                               MasterUserPassword="bench-only-not-secret", DeletionProtection=True,
                               BackupRetentionPeriod=7)
        rds.create_db_snapshot(DBInstanceIdentifier=name, DBSnapshotIdentifier=f"{name}-manual")
        if n % 3 == 0:
            rds.modify_db_snapshot_attribute(DBSnapshotIdentifier=f"{name}-manual",
                                             AttributeName="restore", ValuesToAdd=[OTHER_ACCOUNT])


def region_estate(region, size, role, lam, ec2, s3, rds):
    functions(lam, role, [f"fn-{n:04d}" for n in range(size["functions"])])
    buckets(s3, region, size["buckets"], size["objects"])
    databases(rds, size["databases"])
    if size["instances"] or size["images"]:
        count = max(size["instances"], 1)
        reservation = ec2.run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count,
                                        InstanceType="t3.micro")
        instance = reservation["Instances"][0]["InstanceId"]
        for n in range(size["images"]):
            image = ec2.create_image(InstanceId=instance, Name=f"image-{n:04d}")["ImageId"]
            if n % 10 == 9:
                ec2.modify_image_attribute(ImageId=image, LaunchPermission={
                    "Add": [{"UserId": OTHER_ACCOUNT}]})
    volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=8)["VolumeId"]
    for n in range(size["snapshots"]):
        snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
        if n % 25 == 24:
            ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                          OperationType="add", GroupNames=["all"])
        elif n % 4 == 0:
            ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                          OperationType="add", UserIds=[OTHER_ACCOUNT])


def users(iam, names):
    for name in names:
        iam.create_user(UserName=name)
        iam.create_access_key(UserName=name)


def main():
    # The regions a new account has enabled (moto lists the opt-in ones as not opted in).
    regions = sorted(r["RegionName"] for r in
                     client("ec2").describe_regions(AllRegions=True)["Regions"]
                     if r["OptInStatus"] != "not-opted-in")
    iam = client("iam")
    # A function's role must be in its region's partition (aws, aws-cn, aws-us-gov).
    roles = {}
    for region in regions:
        partition = SESSION.get_partition_for_region(region)
        if partition not in roles:
            roles[partition] = client("iam", region).create_role(
                RoleName="bench-exec", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    role = {r: roles[SESSION.get_partition_for_region(r)] for r in regions}
    # Clients are made here: a boto3 session is not thread-safe, its clients are.
    lambdas = {r: client("lambda", r) for r in regions}
    ec2s = {r: client("ec2", r) for r in regions}
    s3s = {r: client("s3", r) for r in regions}
    rdss = {r: client("rds", r) for r in regions}
    with ThreadPoolExecutor(8) as pool:
        if SIZE == "contain":
            total = int(sys.argv[3])
            jobs = [pool.submit(functions, lambdas[region], role[region],
                                [f"contain-{n:04d}" for n in range(i, total, len(regions))],
                                public_every=None)
                    for i, region in enumerate(regions)]
            counts = {"functions": total, "regions": len(regions)}
        else:
            size = SIZES[SIZE]
            jobs = [pool.submit(region_estate, r, size, role[r], lambdas[r], ec2s[r], s3s[r], rdss[r])
                    for r in regions]
            names = [f"user-{n:05d}" for n in range(size["users"])]
            jobs += [pool.submit(users, iam, names[i::4]) for i in range(4)]
            for n in range(size["roles"]):
                iam.create_role(RoleName=f"role-{n:05d}", AssumeRolePolicyDocument=TRUST)
            counts = {"regions": len(regions), **{k: v * (1 if k in ("users", "roles")
                                                          else len(regions))
                                                  for k, v in size.items() if k != "objects"}}
            counts["objects"] = counts["buckets"] * size["objects"]
            counts["db_snapshots"] = counts["databases"]
            counts["keys"] = size["users"]
        for job in jobs:
            job.result()
    counts["total"] = sum(v for k, v in counts.items() if k not in ("regions", "total"))
    print(json.dumps(counts))


main()
