import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type Destination } from '@stowage/core';
import { connectionSettings, redshift, stagingOf } from '../src/index.js';

/** The problems of a configuration with one Redshift warehouse of these settings. */
function problems(settings: Record<string, unknown>): string[] {
  try {
    parseConfig({ spaces: { s: {} }, warehouses: { rs: { type: 'redshift', settings } } }, '/srv', new Map([['redshift', redshift as unknown as Destination]]));
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
}

describe('Redshift schemas', () => {
  it("refuses a schema of the cluster's own, in any case (Redshift folds names to lower case)", () => {
    for (const schema of ['PG_Catalog', 'information_schema', 'pg_internal']) expect(redshift.schemaProblem!(schema, {} as never), schema).toMatch(/is a schema of Redshift's own/);
    expect(redshift.schemaProblem!('shop', {} as never)).toBeUndefined();
  });
});

describe('Redshift settings', () => {
  it('refuses staging without the keys COPY needs, and a URL whose password ends its host part, with the configuration and without quoting a secret', () => {
    const url = 'redshift://awsuser@cluster.example.com:5439/dev';
    expect(problems({ url, s3Bucket: 'b', accessKeyId: 'AKIAEXAMPLE' })).toEqual(['/warehouses/rs/settings/accessKeyId: accessKeyId and secretAccessKey are given together or not at all']);
    // A session token goes with the temporary keys it was issued with, and is a secret as theirs is.
    expect(problems({ url, s3Bucket: 'b', iamRole: 'arn:aws:iam::1:role/r', sessionToken: 'IQoJb3Jp' })).toEqual(['/warehouses/rs/settings/sessionToken: sessionToken goes with the temporary keys it was issued with: give accessKeyId and secretAccessKey too']);
    const temporary = { url, s3Bucket: 'b', accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'wJalr', sessionToken: 'IQoJb3Jp/+=' };
    expect(problems(temporary)).toEqual([]);
    expect(stagingOf(temporary)).toMatchObject({ authorization: { sessionToken: 'IQoJb3Jp/+=' }, credentials: { accessKeyId: 'ASIAEXAMPLE', sessionToken: 'IQoJb3Jp/+=' } });
    expect(redshift.secrets(temporary)).toEqual(expect.arrayContaining(['wJalr', 'IQoJb3Jp/+=']));
    // Staging settings without a bucket stage nothing: said, at each key's path.
    expect(problems({ url, s3Prefix: 'stowage/', iamRole: 'arn:aws:iam::1:role/r' })).toEqual([
      '/warehouses/rs/settings/s3Prefix: set, but s3Bucket is not: without s3Bucket nothing is staged on S3 (rows go in by multi-row INSERT); set s3Bucket, or remove s3Prefix',
      '/warehouses/rs/settings/iamRole: set, but s3Bucket is not: without s3Bucket nothing is staged on S3 (rows go in by multi-row INSERT); set s3Bucket, or remove iamRole',
    ]);
    expect(problems({ url, s3ForcePathStyle: false })).toEqual([]);
    expect(problems({ url, s3Bucket: 'b' })).toEqual(['/warehouses/rs/settings/s3Bucket: s3Bucket needs iamRole, or accessKeyId and secretAccessKey, so that COPY may read the staged files']);
    const found = problems({ url: 'redshift://awsuser:5439/RsS3cretPW@cluster.example.com:5439/dev' });
    expect(found).toEqual([expect.stringMatching(/^\/warehouses\/rs\/settings\/url: it cannot be read with its user and password as written/)]);
    expect(found.join(' ')).not.toContain('RsS3cret');
    expect(problems({ url, s3Bucket: 'b', iamRole: 'arn:aws:iam::1:role/r' })).toEqual([]);
  });

  it('refuses a bucket given as a URL or with a folder, a prefix given as a URL, and a role that is no ARN, with the configuration', () => {
    const url = 'redshift://awsuser@cluster.example.com:5439/dev';
    const role = 'arn:aws:iam::123456789012:role/RedshiftCopy';
    expect(problems({ url, s3Bucket: 's3://My_Bucket/x', iamRole: role })).toEqual(['/warehouses/rs/settings/s3Bucket: "s3://My_Bucket/x" is not a bucket\'s name: give the name alone (my-bucket), without s3:// or a folder; a folder goes in s3Prefix']);
    expect(problems({ url, s3Bucket: 'stowage-loads', iamRole: 'not-an-arn' })).toEqual([expect.stringMatching(/^\/warehouses\/rs\/settings\/iamRole: "not-an-arn" is not a role's ARN/)]);
    // Chained roles, and the partitions of China and GovCloud.
    expect(problems({ url, s3Bucket: 'stowage.loads-2026', iamRole: `${role},arn:aws-cn:iam::210987654321:role/path/Other` })).toEqual([]);
    expect(problems({ url, s3Bucket: 'b', iamRole: `${role}, ${role}` })).toEqual([expect.stringMatching(/^\/warehouses\/rs\/settings\/iamRole: /)]);
    // The cluster's default IAM role, as COPY's own `IAM_ROLE default` names it.
    expect(problems({ url, s3Bucket: 'b', iamRole: 'default' })).toEqual([]);
    // The prefix given as the staging's whole address: its keys began `s3://…` inside the bucket.
    expect(problems({ url, s3Bucket: 'acme-stage', s3Prefix: 's3://acme-stage/stowage/', iamRole: role })).toEqual(['/warehouses/rs/settings/s3Prefix: s3Prefix "s3://acme-stage/stowage/" is a URL: give the key prefix alone (stowage/), without s3:// or the bucket, which goes in s3Bucket']);
    expect(problems({ url, s3Bucket: 'acme-stage', s3Prefix: 'stowage/s3:/x/', iamRole: role })).toEqual([]);
  });

  it("refuses, with the configuration, staging settings COPY's statement cannot carry, never quoting a key", () => {
    const url = 'redshift://awsuser@cluster.example.com:5439/dev';
    const secret = 'wJalrXUtnFEMI/K7MDENG\\bPxRfiCYEXAMPLEKEY';
    // A Redshift literal holds no backslash: such a prefix or key failed every sync once its files were uploaded.
    const found = problems({ url, s3Bucket: 'b', s3Prefix: 'loads\\2026/', s3Region: 'eu west 1', accessKeyId: 'AKIAIOSFODNN7EXAMPLE ', secretAccessKey: secret });
    expect(found).toEqual([
      '/warehouses/rs/settings/s3Prefix: s3Prefix "loads\\\\2026/" holds a backslash, which COPY\'s statement cannot carry (a Redshift string literal holds none); folders are separated by /',
      '/warehouses/rs/settings/s3Region: s3Region "eu west 1" is not a region\'s name (eu-west-1)',
      "/warehouses/rs/settings/accessKeyId: accessKeyId holds a character no AWS key has (a backslash, a semicolon, a quote or a blank), which COPY's CREDENTIALS cannot carry either: copy the key again",
      "/warehouses/rs/settings/secretAccessKey: secretAccessKey holds a character no AWS key has (a backslash, a semicolon, a quote or a blank), which COPY's CREDENTIALS cannot carry either: copy the key again",
    ]);
    expect(found.join(' ')).not.toMatch(/wJalr|EXAMPLEKEY/);
    // Refused at connect too (a library caller's settings), before anything is uploaded.
    expect(() => stagingOf({ url, s3Bucket: 'b', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret })).toThrow(/^secretAccessKey holds a character no AWS key has/);
    expect(problems({ url, s3Bucket: 'b', s3Prefix: "it's here/", s3Region: 'us-gov-west-1', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' })).toEqual([]);
  });

  it('refuses an s3Endpoint that is no http(s) URL with the configuration, where the SDK named another address at the first upload', () => {
    const url = 'redshift://awsuser@cluster.example.com:5439/dev';
    const staged = { url, s3Bucket: 'b', iamRole: 'arn:aws:iam::1:role/r' };
    // The SDK's refusal of `localhost:9000`: "Custom endpoint `localhost://9000` was not a valid URI".
    expect(problems({ ...staged, s3Endpoint: 'localhost:9000' })).toEqual(['/warehouses/rs/settings/s3Endpoint: s3Endpoint "localhost:9000" is not an http:// or https:// URL (http://localhost:9000)']);
    expect(problems({ ...staged, s3Endpoint: 'ftp://files.example.com' })).toEqual([expect.stringMatching(/^\/warehouses\/rs\/settings\/s3Endpoint: /)]);
    expect(problems({ ...staged, s3Endpoint: 'https://bucket.vpce-0a1b.s3.eu-west-1.vpce.amazonaws.com' })).toEqual([]);
    expect(problems({ ...staged, s3Endpoint: 'http://127.0.0.1:9000' })).toEqual([]);
  });

  it('reaches a cluster at port 5439 unless told otherwise, and two warehouses may not load one Classic schema of it', () => {
    const two = (b: Record<string, unknown>) => {
      try {
        parseConfig({ spaces: { s: {} }, warehouses: { a: { type: 'redshift', settings: { host: 'cluster.example.com', database: 'dev', user: 'awsuser', password: 'RsS3cretPW' } }, b: { type: 'redshift', settings: b } } }, '/srv', new Map([['redshift', redshift as unknown as Destination]]));
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    const found = two({ url: 'redshift://other:Pw2@cluster.example.com:5439/dev' });
    expect(found).toEqual([expect.stringContaining('in the same redshift database as warehouse "a" (cluster.example.com:5439/dev)')]);
    expect(found.join(' ')).not.toMatch(/RsS3cret|Pw2/);
    expect(two({ host: 'cluster.example.com', database: 'analytics' })).toEqual([]);
    // A URL without a port names 5439 too (pg alone would take PostgreSQL's 5432, where no cluster answers).
    expect(two({ url: 'redshift://other@cluster.example.com/dev' })).toEqual([expect.stringContaining('(cluster.example.com:5439/dev)')]);
    expect(connectionSettings({ url: 'postgres://u@cluster.example.com/dev' }).port).toBe(5439);
    expect(connectionSettings({ url: 'postgres://u@cluster.example.com:5440/dev' }).port).toBeUndefined();
    expect(connectionSettings({ url: 'postgres://u@cluster.example.com/dev', port: 5441 }).port).toBe(5441);
  });
});
