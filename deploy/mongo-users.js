// Runs once, when the MongoDB volume is first initialised (the official image's /docker-entrypoint-initdb.d),
// as the root user: one user per application process, each with only what that process needs.
const ocop = db.getSiblingDB(process.env.OCOP_DB_NAME || "ocop");
ocop.createUser({
  user: "ocop_api",
  pwd: process.env.OCOP_API_DB_PASSWORD,
  roles: [{ role: "readWrite", db: ocop.getName() }],
});
ocop.createUser({
  user: "ocop_worker",
  pwd: process.env.OCOP_WORKER_DB_PASSWORD,
  // Reading the oplog's oldest entry tells the worker that its resume point is gone before MongoDB does.
  roles: [{ role: "readWrite", db: ocop.getName() }, { role: "read", db: "local" }],
});
