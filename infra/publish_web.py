#!/usr/bin/env python3
"""Publishes the built web UI (web/dist) to the stack's bucket and CloudFront.

    python3 infra/publish_web.py [--stack team-rs] [--region eu-west-1] [--dist web/dist]

Reads the stack's outputs, uploads every file of the build except the local twin's
config.json, writes the Cognito config.json from the outputs, deletes what the build no
longer has, and invalidates the distribution. Needs boto3 (`pip install boto3`) and
credentials for the TEAM account; `make publish-web` runs it.

Caching follows the template's CloudFront behaviours: index.html and config.json must
never be cached, Vite's hashed assets may be cached for good.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

# The outputs this script needs, and what they become.
REQUIRED_OUTPUTS = (
    "WebBucketName",
    "WebDistributionId",
    "WebUrl",
    "ApiUrl",
    "CognitoIssuer",
    "UserPoolClientId",
    "CognitoDomain",
)
NO_CACHE = "no-cache, no-store, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"


class PublishError(Exception):
    """Something the operator must fix; the message says what."""


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """The outputs of `stack`, checked to hold every one this script needs."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError as err:
        raise PublishError(f"stack {stack!r} not found or not readable: {err}") from err
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    missing = [key for key in REQUIRED_OUTPUTS if not outputs.get(key)]
    if missing:
        raise PublishError(
            f"stack {stack!r} lacks the outputs {', '.join(missing)}: "
            "deploy infra/template.yaml first (make deploy)"
        )
    return outputs


def web_config(outputs: dict[str, str]) -> dict[str, str]:
    """config.json for Cognito sign-in (web/src/auth/config.ts checks its shape)."""
    return {
        "mode": "cognito",
        "issuer": outputs["CognitoIssuer"],
        "clientId": outputs["UserPoolClientId"],
        "apiUrl": outputs["ApiUrl"],
        "logoutUrl": outputs["CognitoDomain"].rstrip("/") + "/logout",
    }


def cache_control(key: str) -> str:
    if key in ("index.html", "config.json") or not key.startswith("assets/"):
        return NO_CACHE
    return IMMUTABLE


def content_type(key: str) -> str:
    guessed, _ = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


def build_files(dist: Path) -> dict[str, Path]:
    """The build's files by object key, without the local twin's config.json."""
    if not (dist / "index.html").is_file():
        raise PublishError(f"{dist}/index.html is missing: build the web UI first (make web)")
    files = {
        path.relative_to(dist).as_posix(): path
        for path in sorted(dist.rglob("*"))
        if path.is_file()
    }
    files.pop("config.json", None)
    return files


def existing_keys(s3: Any, bucket: str) -> set[str]:
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.update(o["Key"] for o in page.get("Contents", []))
    return keys


def publish(s3: Any, cloudfront: Any, outputs: dict[str, str], dist: Path) -> dict[str, int]:
    """Uploads the build and config.json, deletes stale objects, invalidates the CDN."""
    bucket = outputs["WebBucketName"]
    files = build_files(dist)
    before = existing_keys(s3, bucket)
    for key, path in files.items():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(key),
            CacheControl=cache_control(key),
        )
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(web_config(outputs), indent=2).encode(),
        ContentType="application/json",
        CacheControl=NO_CACHE,
    )
    # Stale hashed assets are deleted last, so a browser that loaded the old
    # index.html a moment ago still finds its files during the upload.
    stale = sorted(before - set(files) - {"config.json"})
    for start in range(0, len(stale), 1000):
        chunk = stale[start : start + 1000]
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
        )
    cloudfront.create_invalidation(
        DistributionId=outputs["WebDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"team-rs-publish-{time.time_ns()}",
        },
    )
    return {"uploaded": len(files) + 1, "deleted": len(stale)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="team-rs", help="stack name (default team-rs)")
    parser.add_argument("--region", default=None, help="region (default: the AWS config's)")
    parser.add_argument("--dist", default="web/dist", type=Path, help="the built web UI")
    args = parser.parse_args(argv)
    try:
        import boto3
    except ImportError:
        print("publish-web: boto3 is needed: pip install boto3", file=sys.stderr)
        return 2
    session = boto3.session.Session(region_name=args.region)
    try:
        outputs = stack_outputs(session.client("cloudformation"), args.stack)
        counts = publish(session.client("s3"), session.client("cloudfront"), outputs, args.dist)
    except PublishError as err:
        print(f"publish-web: {err}", file=sys.stderr)
        return 2
    print(
        f"publish-web: {counts['uploaded']} objects uploaded, {counts['deleted']} stale removed, "
        f"CloudFront invalidated; open {outputs['WebUrl']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
