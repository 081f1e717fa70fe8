// Stands in for modules a build leaves out on purpose (see config/index.ts).
module.exports = {}
