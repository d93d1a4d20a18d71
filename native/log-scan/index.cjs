// The binding node-gyp built at install time.
module.exports = require("./build/Release/log_scan.node");
