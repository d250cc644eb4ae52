-- Reports what a user's own setup made of a .runner file, for tests/neovim.rs: Neovim was
-- started with the setup of docs/editors.md as its init.lua and the spec as its file, so this
-- script only waits for diagnostics and writes, as JSON, the buffer's filetype, the names of the
-- clients attached to it and the diagnostics vim.diagnostic holds. Nothing here starts or
-- attaches a client: that is the setup's job.
--
-- Run headless: nvim --headless -u SETUP.lua -i NONE -n SPEC.runner -S tests/neovim/attached.lua
--
-- Input, from the environment:
--   RUNNERC_OUT  where to write the JSON report
--
-- A timeout or failure writes { "error": ..., ... } instead and quits with :cquit.

local WAIT_MS = 10000

local out_path = os.getenv("RUNNERC_OUT")

local function write_report(report)
  local file = assert(io.open(out_path, "w"))
  file:write(vim.fn.json_encode(report))
  file:close()
end

local function report_now(bufnr)
  local clients = {}
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    table.insert(clients, client.name)
  end
  table.sort(clients)
  local diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(diagnostics, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      severity_name = vim.diagnostic.severity[d.severity],
      message = d.message,
      code = d.code,
      source = d.source,
    })
  end
  return {
    filetype = vim.bo[bufnr].filetype,
    clients = clients,
    diagnostics = diagnostics,
  }
end

local bufnr = vim.api.nvim_get_current_buf()
local ok, result = pcall(function()
  local arrived = vim.wait(WAIT_MS, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 20)
  local report = report_now(bufnr)
  if not arrived then
    report.error = string.format("no diagnostics after %d ms", WAIT_MS)
  end
  return report
end)
if ok and result.error == nil then
  write_report(result)
  vim.cmd("qa!")
else
  pcall(write_report, ok and result or { error = tostring(result) })
  vim.cmd("cquit 3")
end
