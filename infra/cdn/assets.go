package cdn

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/kmskey"
)

// newAssetsKey is the assets bucket's CMK. Its policy lets CloudFront decrypt for this
// distribution only, so it is rendered from the distribution's ARN; otherwise it is built like
// every key of the stack (kmskey.Policy: account root plus conditioned service grants).
func newAssetsKey(ctx *pulumi.Context, name string, args *Args, distArn pulumi.StringOutput, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	a := args.Account
	policy := distArn.ApplyT(func(arn string) (string, error) {
		return kmskey.Policy(a, []kmskey.ServiceGrant{{
			Sid:        "AllowCloudFrontOACDecrypt",
			Principal:  a.ServicePrincipal("cloudfront"),
			Actions:    []string{"kms:Decrypt"},
			Conditions: iampolicy.Conditions{"StringEquals": {"AWS:SourceArn": iampolicy.List{arn}}},
		}}).JSON()
	}).(pulumi.StringOutput)
	alias := args.NamePrefix + "/cdn-assets"
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          pulumi.String("CloudFront static assets of " + args.NamePrefix),
		KeyUsage:             pulumi.String("ENCRYPT_DECRYPT"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(args.KMSDeletionWindowDays),
		Policy:               policy,
		Tags:                 awsenv.Tags(args.Tags, alias),
	}, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := kms.NewAlias(ctx, name+"-alias", &kms.AliasArgs{
		Name:        pulumi.String("alias/" + alias),
		TargetKeyId: key.KeyId,
	}, opts...); err != nil {
		return nil, err
	}
	return key, nil
}

// OACReadStatement lets CloudFront read objects for one distribution (FSBP CloudFront.13).
func OACReadStatement(a awsenv.Account, bucketArn, distributionArn string) iampolicy.Statement {
	return iampolicy.Statement{
		Sid:       "AllowCloudFrontOACRead",
		Effect:    "Allow",
		Principal: &iampolicy.Principal{Service: iampolicy.List{a.ServicePrincipal("cloudfront")}},
		Action:    iampolicy.List{"s3:GetObject"},
		Resource:  iampolicy.List{bucketArn + "/*"},
		Condition: iampolicy.Conditions{"StringEquals": {"AWS:SourceArn": iampolicy.List{distributionArn}}},
	}
}

// staticFile is one file of the Next.js build to upload.
type staticFile struct {
	Path        string // on disk
	Key         string // in the bucket
	ContentType string
}

// contentTypes maps the extensions a Next.js build emits to their media types.
var contentTypes = map[string]string{
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".map":   "application/json; charset=utf-8",
	".json":  "application/json; charset=utf-8",
	".html":  "text/html; charset=utf-8",
	".txt":   "text/plain; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".avif":  "image/avif",
	".ico":   "image/x-icon",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".ttf":   "font/ttf",
	".otf":   "font/otf",
	".wasm":  "application/wasm",
}

// ContentType is the media type uploaded for a file name; unknown extensions get
// application/octet-stream (browsers then download rather than interpret, and nosniff holds).
func ContentType(file string) string {
	if t, ok := contentTypes[strings.ToLower(filepath.Ext(file))]; ok {
		return t
	}
	return "application/octet-stream"
}

var safeKey = regexp.MustCompile(`^[A-Za-z0-9._~@()+=,-]+(/[A-Za-z0-9._~@()+=,\[\]-]+)*$`)

// staticFiles lists the regular files under dir in lexical order ("" or a missing directory
// is no files: a preview without a web build still works).
func staticFiles(dir string) ([]staticFile, error) {
	if dir == "" {
		return nil, nil
	}
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("static dir: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("static dir %s is not a directory", dir)
	}
	var out []staticFile
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // directories, and symlinks (never followed out of the build)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !safeKey.MatchString(rel) {
			return fmt.Errorf("static file %q has characters that do not belong in an object key", rel)
		}
		out = append(out, staticFile{Path: p, Key: path.Join(StaticPrefix, rel), ContentType: ContentType(p)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static dir %s: %w", dir, err)
	}
	return out, nil
}
