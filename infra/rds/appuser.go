package rds

import "chessplatform/infra/awsenv"

// AppUser is the application's database role, created by the migration
// app/internal/store/pgstore/migrations/00003_app_role.sql (DML on the application's tables, no
// DDL, a member of rds_iam). The backend signs in as this user with IAM auth tokens; only the
// migrate task uses the master secret.
const AppUser = "chess_app"

// ConnectARN is the rds-db:connect resource of one database user of the instance with the
// given DbiResourceId: arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>.
func ConnectARN(a awsenv.Account, resourceID, user string) string {
	return a.ARN("rds-db", "dbuser:"+resourceID+"/"+user)
}
