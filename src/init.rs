//! `polydoc init`: a small bilingual starter site to copy from.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

const FILES: &[(&str, &str)] = &[
    (
        "site.toml",
        "title = \"My Docs\"\nbase_url = \"https://example.org/\"\ndefault_locale = \"en-us\"\n# link_root = \"https://learn.microsoft.com\"\n\n[locales.en-us]\nname = \"English\"\n\n[locales.zh-cn]\nname = \"中文 (简体)\"\ntitle = \"我的文档\"\n",
    ),
    (
        "content/en-us/TOC.yml",
        "- name: Home\n  href: index.md\n- name: Get started\n  items:\n    - name: Install\n      href: get-started/install.md\n",
    ),
    (
        "content/en-us/index.md",
        "---\ntitle: My Docs\ndescription: Documentation for my product.\nms.date: 1/1/2026\n---\n# My Docs\n\nWelcome. Start with [Install](get-started/install.md).\n",
    ),
    (
        "content/en-us/get-started/install.md",
        "---\ntitle: Install\ndescription: How to install my product.\n---\n# Install\n\n> [!NOTE]\n> You need PowerShell 7 or later.\n\n```powershell\nInstall-Module MyProduct\n```\n",
    ),
    (
        "content/zh-cn/TOC.yml",
        "- name: 主页\n  href: index.md\n- name: 入门\n  items:\n    - name: 安装\n      href: get-started/install.md\n",
    ),
    (
        "content/zh-cn/index.md",
        "---\ntitle: 我的文档\ndescription: 我的产品的文档。\nms.date: 1/1/2026\nms.contentlocale: zh-CN\n---\n# 我的文档\n\n欢迎。请从[安装](get-started/install.md)开始。\n",
    ),
];

/// Writes the starter site into `dir`, which must be missing or empty.
pub fn init(dir: &Path) -> Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?.next().is_some()
    {
        bail!("{} is not empty; choose a new folder", dir.display());
    }
    for (path, text) in FILES {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    }
    Ok(())
}
