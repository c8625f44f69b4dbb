'use strict';
// The admin's record forms: lot pickers that search the lots of the organisation chosen on the
// form (select2 from Django's admin, like its autocomplete fields), also in rows added in the
// page, and a melt's furnace chosen from those that organisation may name: its installations'
// furnaces once it has registered one, else the furnaces it used before or a new name.
{
    const $ = django.jQuery;
    const organisation = () => document.getElementById('id_organisation');

    function lotPicker(element) {
        $(element).select2({
            ajax: {
                url: element.dataset.url,
                delay: 250,
                data: (params) => ({
                    term: params.term,
                    page: params.page,
                    kinds: element.dataset.kinds,
                    organisation: organisation() ? organisation().value : ''
                })
            }
        });
    }

    // Offer the chosen organisation's furnaces. `keep` keeps the furnace shown (the page as
    // served, with what was submitted); after a change of organisation only its own stay.
    function offerFurnaces(select, keep) {
        const choices = JSON.parse(select.dataset.choices);
        const offer = choices[organisation() ? organisation().value : ''] || {registered: false, furnaces: []};
        const current = select.value;
        const codes = offer.furnaces.map((furnace) => furnace[0]);
        const furnaces = offer.furnaces.slice();
        if (current && !codes.includes(current) && (keep || !offer.registered)) {
            furnaces.push([current, current]);
        }
        if ($(select).data('select2')) {
            $(select).select2('destroy');
        }
        $(select).empty().append(new Option('', '', false, false));
        for (const [code, label] of furnaces) {
            $(select).append(new Option(label, code, false, code === current));
        }
        $(select).select2({
            tags: !offer.registered,
            allowClear: true,
            width: '36em',
            placeholder: offer.registered ? select.dataset.placeholderRegistered : select.dataset.placeholderUsed
        });
    }

    $(function() {
        $('.lot-picker').not('[name*=__prefix__]').each((index, element) => lotPicker(element));
        const furnace = document.querySelector('select.furnace-picker');
        if (furnace) {
            offerFurnaces(furnace, true);
            if (organisation()) {
                organisation().addEventListener('change', () => offerFurnaces(furnace, false));
            }
        }
    });

    document.addEventListener('formset:added', (event) => {
        $(event.target).find('.lot-picker').each((index, element) => lotPicker(element));
    });
}
